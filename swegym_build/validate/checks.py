"""Whether one side's test output can be believed, and which of its test ids exist.

A side counts only if the runner's own closing summary is there and agrees with what was parsed
(pytest: the `N passed, M failed ... in S s` totals against the reports listed; unittest: `Ran N
tests` and its `OK` / `FAILED (...)` verdict). Test ids are then checked against a static
collection of the test files the test patch leaves, read on the host with `ast` (never run) from
the copies root dumped before the tests started: an id whose file is not one of them, or whose
function or class no such file defines, is a phantom (printed by a test, not collected). Where
the source cannot be known statically (a class with a base from elsewhere, a name bound by an
import or an assignment, a file the host's Python cannot parse) any name below it is accepted. A
decorated test function may be expanded by its decorator into `name_<suffix>` tests
(`parameterized.expand`: MONAI's `test_affine_grid_00`, ...; ddt's `@data`): those names are
accepted beside it. Where the spec's `test_cases` says tests are cases in data files, an id whose
last part is a case a dumped data file defines exists; one the run's `-k` names only selected as a
substring (`testX` selecting `testXY`) is left out, neither counted nor a phantom.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from swegym_build.records import InstallConfig, TestCases
from swegym_build.validate.cases import case_names, is_case_file, selected_names
from swegym_build.validate.parsers import SUITE_ID, TestStatus, parse_log
from swegym_build.validate.parsers.pytest_log import read_pytest_run
from swegym_build.validate.parsers.text import clean_lines

NO_CLOSING_SUMMARY = "no_closing_summary"
SUMMARY_MISMATCH = "summary_mismatch"

_UNITTEST_RAN = re.compile(r"^Ran (?P<count>\d+) tests? in [\d.]+s$")
_UNITTEST_VERDICT = re.compile(r"^(?:OK|FAILED \(.*\))(?: \(.*\))?$")
# Bases a test class gets no test methods from.
_PLAIN_BASES = {
    "object",
    "TestCase",
    "unittest.TestCase",
    "IsolatedAsyncioTestCase",
    "unittest.IsolatedAsyncioTestCase",
}
# A module that binds names at run time defeats a static collection: accept anything in it.
_DYNAMIC = re.compile(r"\bglobals\(\)|\bsetattr\(|\bexec\(|\b__getattr__\b")
_UNITTEST_FIXTURES = {"setUpClass", "tearDownClass", "setUpModule", "tearDownModule"}


@dataclass
class SideCheck:
    statuses: dict[str, TestStatus]
    problem: str | None = None  # NO_CLOSING_SUMMARY / SUMMARY_MISMATCH
    detail: str = ""
    phantoms: list[str] = field(default_factory=list)


def check_side(
    parser: str,
    log: str,
    exit_code: int | None,
    files: dict[str, str],
    test_cases: TestCases | None = None,
    selected: Sequence[str] = (),
) -> SideCheck:
    """The side's believable statuses: closing summary checked, phantom ids taken out.

    `selected` are the names the run's `-k` held (cases.selected_names), if any.
    """
    if parser == "pytest":
        run = read_pytest_run(log)
        check = SideCheck({test: status for test, status in run.statuses.items() if "::" in test})
        if run.totals is None:
            check.problem, check.detail = NO_CLOSING_SUMMARY, "no closing `N passed ... in S s` line"
        elif +run.counts != +run.totals:
            check.problem = SUMMARY_MISMATCH
            check.detail = (
                f"closing line says {_counts(run.totals)}, the reports listed say {_counts(run.counts)}"
            )
    elif parser == "unittest":
        check = SideCheck(parse_log(parser, log, exit_code))
        check.problem, check.detail = _unittest_summary(log, check.statuses)
    else:
        return SideCheck(parse_log(parser, log, exit_code))
    collection = Collection(files, test_cases)
    unknown = [test for test in check.statuses if not collection.has(parser, test)]
    for test in unknown:
        del check.statuses[test]
    check.phantoms = sorted(test for test in unknown if not _keyword_selected(test, selected))
    return check


def check_task_side(
    config: InstallConfig,
    test_patch: str,
    log: str,
    exit_code: int | None,
    files: dict[str, str],
    enclosing: Sequence[str] = (),
) -> SideCheck:
    """`check_side` as the task's recipe runs it: its parser, its case files, and the names the
    run's `-k` held (validate's sides and evaluate's grading alike; `enclosing`: cases.py)."""
    selected = selected_names(test_patch, config.test_cases, enclosing)
    return check_side(config.log_parser, log, exit_code, files, config.test_cases, selected)


def _keyword_selected(test_id: str, selected: Sequence[str]) -> bool:
    """Whether pytest's `-k` (a case-insensitive substring match) picked `test_id` by one of `selected`."""
    last = _last_part(test_id).lower()
    return any(name.lower() in last for name in selected)


def _last_part(test_id: str) -> str:
    return test_id.rsplit("::", 1)[-1].split("[", 1)[0]


def _counts(counts: Counter[TestStatus]) -> str:
    return ", ".join(f"{n} {status.value}" for status, n in sorted(counts.items()) if n) or "nothing"


def _unittest_summary(log: str, statuses: dict[str, TestStatus]) -> tuple[str | None, str]:
    lines = clean_lines(log)
    ran = [i for i, line in enumerate(lines) if _UNITTEST_RAN.match(line)]
    if not ran:
        return NO_CLOSING_SUMMARY, "no closing `Ran N tests` line"
    verdict = next((line for line in lines[ran[-1] + 1 :] if _UNITTEST_VERDICT.match(line)), None)
    if verdict is None:
        return NO_CLOSING_SUMMARY, "no `OK` / `FAILED (...)` after `Ran N tests`"
    failing = [t for t, s in statuses.items() if s in (TestStatus.FAILED, TestStatus.ERROR)]
    if verdict.startswith("OK") and failing:
        return SUMMARY_MISMATCH, f"unittest says OK, the reports list {len(failing)} failing"
    return None, ""


@dataclass
class _Scope:
    names: dict[str, _Scope | None] = field(default_factory=dict)  # None: a function (a leaf)
    open: bool = False  # names not listed may still exist
    expanded: set[str] = field(default_factory=set)  # decorated functions: `name_*` exist too


class Collection:
    """The test ids the touched test files can hold, from their source (never imported)."""

    def __init__(self, files: dict[str, str], test_cases: TestCases | None = None) -> None:
        cases = {path: text for path, text in files.items() if is_case_file(path, test_cases)}
        self.modules = {path: _module_scope(text) for path, text in files.items() if path not in cases}
        self.cases = {name for text in cases.values() if test_cases for name in case_names(text, test_cases)}

    def has(self, parser: str, test_id: str) -> bool:
        if test_id == SUITE_ID:
            return True
        if parser == "pytest" and _last_part(test_id) in self.cases:
            return True  # a case of a data file the test patch leaves (its collector is elsewhere)
        if parser == "pytest":
            path, _, rest = test_id.partition("::")
            parts = rest.split("::")
            if parts:
                parts[-1] = parts[-1].split("[", 1)[0]
            module = self._module(path)
            return module is not None and _resolves(module, parts)
        return self._has_unittest(test_id)

    def _module(self, path: str) -> _Scope | None:
        """The touched file `path` names: the same path, or (when the runner's rootdir is a
        subfolder of the repository) the one file whose path ends with it."""
        if path in self.modules:
            return self.modules[path]
        ends = [module for name, module in self.modules.items() if name.endswith("/" + path)]
        return ends[0] if len(ends) == 1 else None

    def _has_unittest(self, test_id: str) -> bool:
        if test_id.startswith("unittest.loader."):
            return True  # a module that failed to import: an error, never a passing test
        parts = test_id.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self._module("/".join(parts[:cut]) + ".py")
            if module is not None:
                rest = parts[cut:]
                if rest[-1] in _UNITTEST_FIXTURES:
                    rest = rest[:-1]
                return _resolves(module, rest)
        return False


def _resolves(scope: _Scope | None, parts: list[str]) -> bool:
    for part in parts:
        if scope is None:
            return False  # below a function
        if part not in scope.names:
            if any(part.startswith(f"{name}_") for name in scope.expanded):
                scope = None
                continue
            return scope.open
        scope = scope.names[part]
    return True


def _module_scope(text: str) -> _Scope:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return _Scope(open=True)
    scope = _body_scope(tree.body)
    scope.open = scope.open or bool(_DYNAMIC.search(text))
    return scope


def _body_scope(body: list[ast.stmt]) -> _Scope:
    scope = _Scope()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope.names[node.name] = None
            if node.decorator_list:
                scope.expanded.add(node.name)
        elif isinstance(node, ast.ClassDef):
            inner = _body_scope(node.body)
            bases = {ast.unparse(base) for base in node.bases}
            inner.open = (
                inner.open or bool(bases - _PLAIN_BASES) or bool(node.keywords or node.decorator_list)
            )
            scope.names[node.name] = inner
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    scope.open = True
                else:
                    scope.names[(alias.asname or alias.name).split(".")[0]] = _Scope(open=True)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        scope.names[name.id] = _Scope(open=True)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            # Definitions under `if sys.version_info ...:` / `try: import` still exist.
            nested = [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            for handler in getattr(node, "handlers", []):
                nested += handler.body
            inner = _body_scope(nested)
            for defined, value in inner.names.items():
                scope.names.setdefault(defined, value)
            scope.expanded |= inner.expanded
            scope.open = scope.open or inner.open
    return scope
