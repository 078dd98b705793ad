"""A copy of a bare mirror whose missing blobs are empty files, for snapshots that left out their
largest files (the session's `fetch` does: modin's docs GIFs and a notebook).

    python benchmarks/fill_missing_blobs.py MIRROR OUT

`git archive` and `pack-objects` stop at the first blob a mirror lacks, so every env of such a
repository fails `objects missing`, which says nothing about its recipe. The copy is the same
history through `git fast-export --no-data | git fast-import`, with each missing blob's entries
pointing at the empty blob; the other objects are borrowed from MIRROR (alternates), so it costs
seconds and almost no disk. Commit ids change (the trees do), dates, messages and refs do not; the
benchmark samples the copy as it would the mirror. Prints the paths that were emptied.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    command = ["git", "-C", str(repo), *args]
    return subprocess.run(command, input=stdin, capture_output=True, check=True).stdout


def missing_blobs(mirror: Path) -> list[str]:
    """The blobs the mirror's trees name and its object store lacks."""
    found = subprocess.run(
        ["git", "-C", str(mirror), "fsck", "--connectivity-only", "--no-dangling"],
        capture_output=True,
        text=True,
    )
    lines = (found.stdout + found.stderr).splitlines()
    return sorted({line.split()[2] for line in lines if line.startswith("missing blob ")})


def fill_missing_blobs(mirror: Path, out: Path) -> list[str]:
    """Write the filled copy at `out` (a bare repository); return the emptied paths."""
    missing = set(missing_blobs(mirror))
    out.mkdir(parents=True)
    _git(out, "init", "-q", "--bare")
    (out / "objects" / "info" / "alternates").write_text(f"{(mirror / 'objects').resolve()}\n")
    assert _git(out, "hash-object", "-w", "--stdin", stdin=b"").decode().strip() == EMPTY_BLOB
    exported = _git(
        mirror, "fast-export", "--all", "--no-data", "--signed-tags=strip",
        "--tag-of-filtered-object=drop", "--reencode=no",
    )  # fmt: skip
    emptied: set[str] = set()
    pieces: list[bytes] = []
    at = 0
    while at < len(exported):
        end = exported.find(b"\n", at)
        end = len(exported) if end < 0 else end + 1
        line = exported[at:end]
        if line.startswith(b"data "):  # a message: its bytes pass through unread
            end += int(line[5:])
            line = exported[at:end]
        elif line.startswith(b"M "):  # a file entry: `M MODE SHA PATH`
            mode, sha, path = line[2:].split(b" ", 2)
            if sha.decode() in missing:
                line = b" ".join((b"M", mode, EMPTY_BLOB.encode(), path))
                emptied.add(path.decode(errors="replace").strip())
        pieces.append(line)
        at = end
    _git(out, "fast-import", "--quiet", stdin=b"".join(pieces))
    head = _git(mirror, "symbolic-ref", "HEAD").decode().strip()
    _git(out, "symbolic-ref", "HEAD", head)
    return sorted(emptied)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    emptied = fill_missing_blobs(Path(argv[0]), Path(argv[1]))
    print(f"{len(emptied)} paths emptied: {emptied}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
