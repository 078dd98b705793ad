"""Which named tests a test patch asks for, when a spec says its tests are cases in data files.

mypy's tests are `[case testX]` blocks in `test-data/unit/*.test`, collected by test modules the
patch rarely touches. Run by path, an edit to one data file runs nothing (the file is not a test
module) or, with no path, the whole suite (10,431 tests: past any time limit). Run by name
(`pytest -k "testX or testY"`), only the cases the patch adds or edits run, as SWE-Gym's mypy
harness does. Test functions a touched test module defines near the change are named too, so a
patch that adds both keeps both.

`-k` matches substrings, case-insensitively: `testX` also selects `testXY`. Such ids are tests
the task did not ask for, and `check_side` leaves them out rather than calling them phantoms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from swegym_build.records import TestCases
from swegym_build.testpaths import matches_any

# A test function defined on a line the patch adds or shows (pytest's default `test*` prefix).
_TEST_FUNCTION = re.compile(r"^\s*(?:async\s+)?def\s+(test\w*)\s*\(")
PYTHON_SUFFIX = ".py"


def is_case_file(path: str, test_cases: TestCases | None) -> bool:
    return test_cases is not None and matches_any(path, test_cases.files)


def selected_names(test_patch: str, test_cases: TestCases | None) -> list[str]:
    """The names to run: cases on the lines the patch adds or shows in the data files, then test
    functions likewise in its Python files; [] when the patch touches no case file (or names no
    case in one: the caller runs the touched modules as usual)."""
    if test_cases is None:
        return []
    pattern = re.compile(test_cases.name)
    cases: dict[str, None] = {}
    functions: dict[str, None] = {}
    for path, lines in _after_lines(test_patch):
        if is_case_file(path, test_cases):
            cases.update(dict.fromkeys(_names(pattern, lines)))
        elif path.endswith(PYTHON_SUFFIX):
            functions.update(dict.fromkeys(_names(_TEST_FUNCTION, lines)))
    if not cases:
        return []
    return [*cases, *(name for name in functions if name not in cases)]


def case_names(text: str, test_cases: TestCases) -> set[str]:
    """Every case a data file defines."""
    return set(_names(re.compile(test_cases.name), text.splitlines()))


def keyword_expression(names: Iterable[str]) -> str:
    return " or ".join(names)


def _names(pattern: re.Pattern[str], lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        match = pattern.search(line)
        if match and match.group(1):
            yield match.group(1)


def _after_lines(patch: str) -> Iterator[tuple[str, list[str]]]:
    """(path, the added and context lines of its hunks) for every file the patch leaves."""
    try:
        parsed = PatchSet(patch)
    except UnidiffParseError:
        return
    for patched in parsed:
        if patched.is_removed_file:
            continue
        path = patched.path
        yield path, [line.value.rstrip("\n") for hunk in patched for line in hunk if not line.is_removed]
