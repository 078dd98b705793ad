"""Which files are tests: how mine splits a diff into `test_patch` and `patch`, and how a spec's
`test_file_patterns` (gitignore-like globs) are read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

TEST_DIRECTORIES = frozenset({"test", "tests", "testing", "e2e"})
TEST_FILE_NAMES = frozenset({"conftest.py", "tests.py"})


def is_test_path(path: str, patterns: Sequence[str] | None = None) -> bool:
    """True for a test file.

    With `patterns` (a repository spec's `test_file_patterns`: gitignore-like globs, see
    specs/README.md), only they decide. Otherwise a path is a test when a directory on it is named
    test/tests/testing/e2e, or the file is `test_*.py`, `*_test.py`, `conftest.py` or `tests.py`
    (so `latest.py` is not).
    """
    if patterns:
        return matches_any(path, patterns)
    parts = PurePosixPath(path).parts
    if any(part.lower() in TEST_DIRECTORIES for part in parts[:-1]):
        return True
    name = parts[-1] if parts else ""
    return (
        name in TEST_FILE_NAMES
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
    )


def matches_any(path: str, patterns: Sequence[str]) -> bool:
    """Whether one of the gitignore-like globs `patterns` matches `path`."""
    return any(glob_to_regex(pattern).match(path) for pattern in patterns)


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a gitignore-like glob over `/`-separated paths.

    `*` and `?` stay within one path component, `**/` spans any number of directories, a
    trailing `/` means "everything under this directory", and a pattern without an inner `/`
    matches at any depth (`test_*.py` matches `a/b/test_x.py`) while one with an inner `/`
    is anchored at the repository root.
    """
    body = pattern.lstrip("/")
    anchored = "/" in body.rstrip("/") or pattern.startswith("/")
    out: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    regex = "".join(out) + (".*" if body.endswith("/") else "")
    return re.compile(("^" if anchored else "^(?:.*/)?") + regex + "$")
