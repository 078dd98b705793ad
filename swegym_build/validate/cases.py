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
from collections.abc import Callable, Iterable, Iterator, Sequence

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from swegym_build.records import TestCases
from swegym_build.testpaths import matches_any

# A test function defined on a line the patch adds or shows (pytest's default `test*` prefix).
_TEST_FUNCTION = re.compile(r"^\s*(?:async\s+)?def\s+(test\w*)\s*\(")
PYTHON_SUFFIX = ".py"


def is_case_file(path: str, test_cases: TestCases | None) -> bool:
    return test_cases is not None and matches_any(path, test_cases.files)


def selected_names(test_patch: str, test_cases: TestCases | None, enclosing: Sequence[str] = ()) -> list[str]:
    """The names to run: cases on the lines the patch adds or shows in the data files (and
    `enclosing`, the cases it edits without showing their header: `enclosing_cases`), then test
    functions likewise in its Python files; [] when the patch touches no case file (or names no
    case in one: the caller runs the touched modules as usual)."""
    if test_cases is None:
        return []
    pattern = re.compile(test_cases.name)
    cases: dict[str, None] = dict.fromkeys(enclosing)
    functions: dict[str, None] = {}
    for path, lines in _after_lines(test_patch):
        if is_case_file(path, test_cases):
            cases.update(dict.fromkeys(_names(pattern, lines)))
        elif path.endswith(PYTHON_SUFFIX):
            functions.update(dict.fromkeys(_names(_TEST_FUNCTION, lines)))
    if not cases:
        return []
    return [*cases, *(name for name in functions if name not in cases)]


def enclosing_cases(
    test_patch: str, test_cases: TestCases | None, base_text: Callable[[str], str | None]
) -> list[str]:
    """The cases whose lines a hunk changes above the first header it shows (or with none in it).

    A hunk deep inside a long case (mypy-19859 changed one expected-output line of a case that
    starts 30 lines up) names no case on its lines; the case is the last header above the first
    changed line, read from the file before the patch (`base_text(path)`, None if unreadable).
    Without it the patch names no case and the whole suite (10k tests) would run.
    """
    if test_cases is None:
        return []
    pattern = re.compile(test_cases.name)
    found: dict[str, None] = {}
    try:
        parsed = PatchSet(test_patch)
    except UnidiffParseError:
        return []
    for patched in parsed:
        if patched.is_added_file or patched.is_removed_file or not is_case_file(patched.path, test_cases):
            continue
        lines: list[str] | None = None
        for hunk in patched:
            changed = next((i for i, line in enumerate(hunk) if line.is_added or line.is_removed), None)
            if changed is None or any(_names(pattern, [line.value for line in list(hunk)[:changed]])):
                continue  # the hunk shows the header of the case it changes first
            if lines is None:
                lines = (base_text(patched.source_file.removeprefix("a/")) or "").splitlines()
            above = lines[: hunk.source_start - 1 + changed]
            name = next((n for line in reversed(above) for n in _names(pattern, [line])), None)
            if name:
                found[name] = None
    return list(found)


def listed_cases(test_ids: Sequence[str], test_cases: TestCases | None) -> list[str]:
    """The case names that ids of a row's FAIL_TO_PASS and PASS_TO_PASS give, for graders.

    A grader has the row, not the repository: the cases validate found enclosing a headerless
    hunk are in these lists by name, so grading selects them as validate's run did. An id names
    its data file by path (`test-data/check-x.test::testX`) or, when a test module collects it,
    by file name (`mypy/test/testcheck.py::TypeCheckSuite::check-x.test::testX`).
    """
    if test_cases is None:
        return []
    file_names = [pattern.rstrip("/").rsplit("/", 1)[-1] for pattern in test_cases.files]
    names: dict[str, None] = {}
    for test in test_ids:
        *owners, name = test.split("::")
        if any(is_case_file(part, test_cases) or matches_any(part, file_names) for part in owners):
            names[name.split("[", 1)[0]] = None
    return list(names)


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
