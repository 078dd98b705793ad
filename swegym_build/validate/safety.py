"""Patches may only touch the repository: checked before anything runs.

Refused: absolute paths, paths that climb out with `..`, paths with a `.git` component (at any
depth, as git's own `verify_path`), and symlinks a patch creates whose target leads outside the
repository or into `.git` (a later write through them would escape). Paths are read as git reads
them: C-quoted names (`"a/x\\303\\251"`) are unquoted, and an unquoted `diff --git` line whose
names hold spaces is split where git splits it (both halves name the same file); when no split
is found every possible split is checked. A symlink's target is read from a text hunk or decoded
from a `GIT binary patch` literal (base85 + zlib); a binary delta on a symlink is refused, since
its target cannot be known without the original. `git apply` refuses to write through existing
symlinks on its own.
"""

from __future__ import annotations

import base64
import posixpath
import re
import zlib

from swegym_build.errors import ValidationError

_DIFF_GIT = "diff --git "
_PATH_LINES = re.compile(r"^(?:--- |\+\+\+ |rename from |rename to |copy from |copy to )(?P<path>.+)$")
_SYMLINK_MODE = "120000"
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_BINARY_LENGTH = {c: i + 1 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")}


def _unquote(text: str) -> tuple[str, str]:
    """git's C-style quoted name at the start of `text` -> (name, rest after the closing quote)."""
    out = bytearray()
    index = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            return out.decode("utf-8", errors="replace"), text[index + 1 :]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in "0123":
                out.append(int(text[index + 1 : index + 4], 8) & 0xFF)
                index += 4
                continue
            out.append(_ESCAPES.get(following, ord(following)))
            index += 2
            continue
        out += char.encode()
        index += 1
    return out.decode("utf-8", errors="replace"), ""  # unterminated: take it whole


def _strip(path: str) -> str | None:
    """A path as a ---/+++/rename line gives it: unquoted, timestamp cut, `a/` `b/` dropped."""
    path = path.strip()
    if path.startswith('"'):
        path, _ = _unquote(path)
    else:
        path = path.split("\t", 1)[0]
    if path == "/dev/null":
        return None
    return _drop_prefix(path)


def _drop_prefix(path: str) -> str:
    return path[2:] if path[:2] in ("a/", "b/") else path


def header_paths(rest: str) -> list[str]:
    """The file names of a `diff --git` line (text after `diff --git `), as git finds them.

    Quoted names are unquoted. Unquoted, the line is `a/NAME b/NAME` and a name may hold
    spaces, so git takes the split whose two halves name the same file; without one (a rename
    with spaces, or a crafted line) every half of every split is returned, so each is checked.
    """
    if rest.startswith('"'):
        first, tail = _unquote(rest)
        tail = tail.lstrip(" ")
        second = _unquote(tail)[0] if tail.startswith('"') else tail
        return [_drop_prefix(first), _drop_prefix(second)]
    spaces = [i for i, char in enumerate(rest) if char == " "]
    for at in spaces:
        first, second = rest[:at], rest[at + 1 :]
        if second.startswith('"'):
            return [_drop_prefix(first), _drop_prefix(_unquote(second)[0])]
        if _drop_prefix(first) == _drop_prefix(second):
            return [_drop_prefix(first)]
    halves = [rest] + [half for at in spaces for half in (rest[:at], rest[at + 1 :])]
    return sorted({_drop_prefix(half) for half in halves})


def _escapes(path: str) -> bool:
    if path.startswith("/") or path.startswith("\\"):
        return True
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        return True
    return any(_is_git_dir(part) for part in re.split(r"[/\\]", path))


def _is_git_dir(part: str) -> bool:
    # git refuses `.git` in any case, and the forms NTFS/HFS take for it (`.git.`, `git~1`).
    folded = part.lower().rstrip(". ")
    return folded in (".git", "git~1")


def unsafe_paths(patch: str) -> list[str]:
    """Why `patch` is unsafe, one line per problem; empty when it only touches the repository."""
    problems: list[str] = []
    lines = patch.splitlines()
    header_path: str | None = None
    for index, line in enumerate(lines):
        candidates: list[str | None] = []
        if line.startswith(_DIFF_GIT):
            names = header_paths(line[len(_DIFF_GIT) :])
            candidates += names
            header_path = names[-1] if names else None
        elif other := _PATH_LINES.match(line):
            candidates.append(_strip(other["path"]))
        for path in candidates:
            if path is not None and _escapes(path):
                problems.append(f"path outside the repository: {path}")
        if line.startswith("new file mode " + _SYMLINK_MODE) or line.startswith("new mode " + _SYMLINK_MODE):
            problems += _symlink_problems(lines, index, header_path)
    return sorted(set(problems))


def _file_section(lines: list[str], index: int) -> list[str]:
    """The lines of the file diff that holds line `index`, up to the next `diff --git`."""
    end = next((i for i in range(index + 1, len(lines)) if lines[i].startswith(_DIFF_GIT)), len(lines))
    return lines[index:end]


def _symlink_problems(lines: list[str], index: int, header_path: str | None) -> list[str]:
    """The target of a symlink a patch creates: a text hunk's added line or a binary literal."""
    section = _file_section(lines, index)
    link = next((_strip(line[4:]) for line in section if line.startswith("+++ ")), None) or header_path
    if link is None:
        return ["symlink with no path"]
    if "GIT binary patch" in section:
        target = _binary_literal(section[section.index("GIT binary patch") + 1 :])
        if target is None:
            return [f"symlink {link} as a binary delta or an unreadable binary patch"]
    else:
        added = [line[1:] for line in section if line.startswith("+") and not line.startswith("+++")]
        if not added:
            return []
        target = added[0]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
    if target.startswith("/") or resolved == ".." or resolved.startswith("../") or _escapes(resolved):
        return [f"symlink {link} leads outside the repository: {target}"]
    return []


def _binary_literal(lines: list[str]) -> str | None:
    """The content of a `literal N` block of a git binary patch (base85 lines, zlib), or None."""
    if not lines or not lines[0].startswith("literal "):
        return None
    data = bytearray()
    for line in lines[1:]:
        if not line:
            break
        length = _BINARY_LENGTH.get(line[0])
        if length is None:
            return None
        try:
            data += base64.b85decode(line[1:])[:length]
        except ValueError:
            return None
    try:
        return zlib.decompress(bytes(data)).decode("utf-8", errors="replace")
    except zlib.error:
        return None


def check_patch(instance_id: str, name: str, patch: str) -> None:
    """Raise ValidationError naming the instance and the problems when `patch` is unsafe."""
    problems = unsafe_paths(patch)
    if problems:
        raise ValidationError(f"{instance_id}: {name} refused: {'; '.join(problems)}")


def touched_files(patch: str) -> list[str]:
    """Files the patch leaves in the tree (added or modified; deleted ones excluded), in order.

    Names come from `+++` lines, and from the `diff --git` line for a diff without them (a
    binary file, a mode change).
    """
    found: list[str] = []
    lines = patch.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(_DIFF_GIT)] or [0]
    for start in starts:
        section = _file_section(lines, start) if lines else []
        plus = next((line for line in section if line.startswith("+++ ")), None)
        renamed = next((line for line in section if line.startswith("rename to ")), None)
        path: str | None = None
        if plus is not None:
            path = _strip(plus[4:])
        elif renamed is not None:
            path = _strip(renamed[len("rename to ") :])
        elif (
            section
            and section[0].startswith(_DIFF_GIT)
            and not any(line.startswith("deleted file mode") for line in section)
        ):
            path = header_paths(section[0][len(_DIFF_GIT) :])[-1]
        if path is not None and path not in found:
            found.append(path)
    return found
