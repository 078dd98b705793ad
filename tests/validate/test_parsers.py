"""Log parsers, on logs made by really running pytest and unittest, and on checked-in logs of
versions this environment does not have (`logs/README.md` says how those were made)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from swegym_build.errors import SpecError, ValidationError
from swegym_build.specs import LogParser
from swegym_build.validate.parsers import (
    SUITE_ID,
    TestStatus,
    is_fail,
    is_pass,
    known_parsers,
    parse_log,
    register,
    registry,
)
from swegym_build.validate.parsers.pytest_log import raised_errors, skip_reasons

LOGS = Path(__file__).parent / "logs"

PYTEST_SAMPLE = """\
import pytest


def test_pass():
    assert True


def test_fail():
    assert [1] == [2]


@pytest.mark.parametrize(
    "value",
    ["a - b", "name with spaces", "ünï-☃", "x]y", "[1, 2]", "🎉", "x] - y", "x PASSED y"],
)
def test_param(value):
    assert "a" not in value


@pytest.mark.skip(reason="not now")
def test_skip():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="fixed?")
def test_xpass():
    pass


@pytest.fixture
def broken_setup():
    raise RuntimeError("setup boom")


def test_setup_error(broken_setup):
    pass


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown boom")


def test_teardown_error(broken_teardown):
    pass


class TestClass:
    def test_method(self):
        assert 1 == 2, "multi\\nline"
"""
PYTEST_BROKEN = "import nonexistent_module_for_the_parser_tests\n"

UNITTEST_SAMPLE = '''\
import sys
import unittest


class TestThings(unittest.TestCase):
    def test_ok(self):
        self.assertTrue(True)

    def test_fail(self):
        self.assertEqual(1, 2)

    def test_error(self):
        raise RuntimeError("boom")

    @unittest.skip("not today")
    def test_skip(self):
        pass

    @unittest.expectedFailure
    def test_xfail(self):
        self.assertEqual(1, 2)

    @unittest.expectedFailure
    def test_xpass(self):
        pass

    def test_doc(self):
        """First docstring line ... with dots.

        More text.
        """

    def test_noisy(self):
        sys.stderr.write("chatter\\n")

    def test_sub(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 2)


class TestSetupFails(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("class setup")

    def test_never(self):
        pass
'''


def pytest_ids(*, escaped: bool = True, skipped: bool = False) -> dict[str, TestStatus]:
    """What the parser must return for `PYTEST_SAMPLE` (the skipped test only when the log names it)."""
    unicode_ids = (r"\xfcn\xef-\u2603", r"\U0001f389") if escaped else ("ünï-☃", "🎉")
    statuses = {
        "test_pass": TestStatus.PASSED,
        "test_fail": TestStatus.FAILED,
        "test_param[a - b]": TestStatus.FAILED,
        "test_param[name with spaces]": TestStatus.FAILED,
        **{f"test_param[{param}]": TestStatus.PASSED for param in unicode_ids},
        "test_param[x]y]": TestStatus.PASSED,
        "test_param[[1, 2]]": TestStatus.PASSED,
        "test_param[x] - y]": TestStatus.PASSED,
        "test_param[x PASSED y]": TestStatus.PASSED,
        "test_xfail": TestStatus.XFAIL,
        "test_xpass": TestStatus.XPASS,
        "test_setup_error": TestStatus.ERROR,
        # Passed, then its fixture failed at teardown: the log says both, the worse one counts.
        "test_teardown_error": TestStatus.ERROR,
        "TestClass::test_method": TestStatus.FAILED,
    }
    if skipped:
        statuses["test_skip"] = TestStatus.SKIPPED
    return {f"tests/test_sample.py::{name}": status for name, status in statuses.items()}


UNITTEST_IDS = {
    "pkg.test_mod.TestThings.test_ok": TestStatus.PASSED,
    "pkg.test_mod.TestThings.test_fail": TestStatus.FAILED,
    "pkg.test_mod.TestThings.test_error": TestStatus.ERROR,
    "pkg.test_mod.TestThings.test_skip": TestStatus.SKIPPED,
    "pkg.test_mod.TestThings.test_xfail": TestStatus.XFAIL,
    "pkg.test_mod.TestThings.test_xpass": TestStatus.XPASS,
    "pkg.test_mod.TestThings.test_doc": TestStatus.PASSED,
    "pkg.test_mod.TestThings.test_noisy": TestStatus.PASSED,
    "pkg.test_mod.TestThings.test_sub": TestStatus.FAILED,
    # The class fixture failed, so test_never never ran and is absent.
    "pkg.test_mod.TestSetupFails.setUpClass": TestStatus.ERROR,
    "unittest.loader._FailedTest.test_broken": TestStatus.ERROR,
}


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """stdout and stderr of `python ARGS` in `cwd`, without the CI or pytest settings of this run."""
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CI", "BUILD_NUMBER", "PYTEST_ADDOPTS", "PY_COLORS", "FORCE_COLOR", "NO_COLOR")
    }
    clean_env.update({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "COLUMNS": "80", **(env or {})})
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=clean_env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode != 0, "every sample run has failing tests"
    return done.stdout + done.stderr


def run_pytest(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return run(project, "-m", "pytest", "-p", "no:cacheprovider", *args, env=env)


@pytest.fixture(scope="module")
def pytest_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("pytest-project")
    # An ini file pins the rootdir here, so node ids are relative to the project, as in a container.
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (project / "tests").mkdir()
    (project / "tests" / "test_sample.py").write_text(PYTEST_SAMPLE, encoding="utf-8")
    (project / "tests" / "test_broken.py").write_text(PYTEST_BROKEN, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def unittest_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("unittest-project")
    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (project / "pkg" / "test_mod.py").write_text(UNITTEST_SAMPLE, encoding="utf-8")
    (project / "pkg" / "test_broken.py").write_text(PYTEST_BROKEN, encoding="utf-8")
    return project


# --- pytest, live -------------------------------------------------------------------------------


def test_pytest_summary(pytest_project: Path) -> None:
    log = run_pytest(pytest_project, "-rA", "tests/test_sample.py")
    # A folded `SKIPPED [1] tests/test_sample.py:22: not now` names no test.
    assert "SKIPPED [1] tests/test_sample.py" in log
    assert parse_log("pytest", log) == pytest_ids()


def test_pytest_verbose_lines_add_skipped_tests(pytest_project: Path) -> None:
    log = run_pytest(pytest_project, "-rA", "-v", "tests/test_sample.py")
    assert parse_log("pytest", log) == pytest_ids(skipped=True)


def test_pytest_colour_and_untruncated_multiline_messages(pytest_project: Path) -> None:
    # On CI pytest prints whole failure messages, over several lines, in the summary.
    log = run_pytest(pytest_project, "-rA", "-v", "--color=yes", "tests/test_sample.py", env={"CI": "1"})
    assert "\x1b[" in log
    assert "AssertionError: multi\n" in log
    assert parse_log("pytest", log) == pytest_ids(skipped=True)


def test_pytest_unfolded_skips(pytest_project: Path) -> None:
    if pytest.version_tuple < (8, 3):
        pytest.skip("--no-fold-skipped is new in pytest 8.3")
    log = run_pytest(pytest_project, "-rA", "--no-fold-skipped", "tests/test_sample.py")
    assert parse_log("pytest", log) == pytest_ids(skipped=True)


OPTIONAL_IMPORTS = """\
import pytest


def test_needs_tables():
    pytest.importorskip("tables_not_installed_here")


def test_needs_tables_too():
    pytest.importorskip("tables_not_installed_here")


@pytest.mark.skip(reason="not now")
def test_later():
    pass


def test_fail():
    assert False
"""


def test_pytest_skip_reasons_are_counted_per_reason(tmp_path: Path) -> None:
    # A test that proved nothing: validate names why (an optional dependency the env lacks).
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_optional.py").write_text(OPTIONAL_IMPORTS, encoding="utf-8")
    missing = "could not import 'tables_not_installed_here': No module named 'tables_not_installed_here'"
    for colour in ({}, {"CI": "1", "PY_COLORS": "1"}):
        log = run_pytest(tmp_path, "-rA", "test_optional.py", env=colour)
        assert skip_reasons(log) == {missing: 2, "not now": 1}


def test_pytest_raised_errors_name_what_ended_the_tracebacks_but_failed_asserts(pytest_project: Path) -> None:
    # the sample has `assert [1] == [2]`, fixtures raising RuntimeError, and a module that
    # imports what is not installed (the kind of error that is the env's, not the task's)
    log = run_pytest(
        pytest_project,
        "-rA",
        "--continue-on-collection-errors",
        "tests/test_sample.py",
        "tests/test_broken.py",
    )
    errors = raised_errors(log)
    assert errors["ModuleNotFoundError: No module named 'nonexistent_module_for_the_parser_tests'"] == 1
    assert errors["RuntimeError: setup boom"] == 1 and errors["RuntimeError: teardown boom"] == 1
    assert not any(error.startswith("AssertionError") for error in errors)


@pytest.mark.parametrize("log_name", ["pytest-3.10.1_rap.log", "pytest-7.4.4_rA.log"])
def test_pytest_skip_reasons_of_old_versions(log_name: str) -> None:
    assert skip_reasons((LOGS / log_name).read_text(encoding="utf-8")) == {"not now": 1}


def test_pytest_unescaped_unicode_ids(pytest_project: Path) -> None:
    log = run_pytest(
        pytest_project,
        "-rA",
        "-o",
        "disable_test_id_escaping_and_forfeit_all_rights_to_community_support=true",
        "tests/test_sample.py",
    )
    assert parse_log("pytest", log) == pytest_ids(escaped=False)


def test_pytest_verbose_lines_alone(pytest_project: Path) -> None:
    log = run_pytest(pytest_project, "-v", "-rN", "tests/test_sample.py")
    assert "short test summary info" not in log
    assert parse_log("pytest", log) == pytest_ids(skipped=True)


def test_pytest_collection_error_beside_other_tests(pytest_project: Path) -> None:
    log = run_pytest(pytest_project, "-rA", "--continue-on-collection-errors", "tests")
    expected = {**pytest_ids(), "tests/test_broken.py": TestStatus.ERROR}
    assert parse_log("pytest", log) == expected


def test_pytest_collection_error_without_summary(pytest_project: Path) -> None:
    log = run_pytest(pytest_project, "-v", "-rN", "tests")
    assert parse_log("pytest", log) == {"tests/test_broken.py": TestStatus.ERROR}


# --- pytest, checked-in logs of older versions ----------------------------------------------------


@pytest.mark.parametrize(
    ("log_name", "skipped"),
    [
        # FAIL/SKIP summary words, `::()` in class ids, verbose `xfail`, XFAIL reason on its own line.
        ("pytest-3.10.1_rap.log", False),
        ("pytest-3.10.1_v_rap.log", True),
        # -rA, ` - message` on FAILED/ERROR only, `XPASS id reason`.
        ("pytest-4.6.11_rA.log", False),
        ("pytest-7.4.4_rA.log", False),
    ],
)
def test_pytest_old_versions(log_name: str, skipped: bool) -> None:
    log = (LOGS / log_name).read_text(encoding="utf-8")
    assert parse_log("pytest", log) == pytest_ids(skipped=skipped)


def test_pytest_3_collection_error() -> None:
    log = (LOGS / "pytest-3.10.1_collection_error.log").read_text(encoding="utf-8")
    assert parse_log("pytest", log) == {"tests/test_broken.py": TestStatus.ERROR}


# --- pytest, lines no real run here produces ------------------------------------------------------


def test_pytest_param_id_with_bracket_space_resolved_by_verbose_line() -> None:
    # The id `a] - b` makes `test_p[a]` look complete; only the verbose line tells them apart.
    log = "\n".join(
        [
            "t.py::test_p[a] - b] FAILED                                  [100%]",
            "=== short test summary info ===",
            "FAILED t.py::test_p[a] - b] - AssertionError: assert [1] == [2]",
            "=== 1 failed in 0.01s ===",
        ]
    )
    assert parse_log("pytest", log) == {"t.py::test_p[a] - b]": TestStatus.FAILED}


def test_pytest_message_ending_in_bracket_is_not_part_of_the_id() -> None:
    log = "=== short test summary info ===\nFAILED t.py::test_p[1] - assert [1] == [2]\n=== 1 failed ==="
    assert parse_log("pytest", log) == {"t.py::test_p[1]": TestStatus.FAILED}


def test_pytest_status_words_outside_the_summary_are_ignored() -> None:
    log = "\n".join(
        [
            "----- Captured stdout call -----",
            "FAILED inner.py::test_from_a_nested_run - boom",
            "=== short test summary info ===",
            "PASSED t.py::test_a",
            "=== 1 passed in 0.01s ===",
            "FAILED t.py::test_after_the_summary",
        ]
    )
    assert parse_log("pytest", log) == {"t.py::test_a": TestStatus.PASSED}


def test_pytest_two_sessions_in_one_log_merge_worst_wins() -> None:
    session = "=== short test summary info ===\n{} t.py::test_a\n=== 1 done in 0.01s ==="
    failed_first = session.format("FAILED") + "\n" + session.format("PASSED")
    passed_first = session.format("PASSED") + "\n" + session.format("FAILED")
    assert parse_log("pytest", failed_first) == {"t.py::test_a": TestStatus.FAILED}
    assert parse_log("pytest", passed_first) == {"t.py::test_a": TestStatus.FAILED}


def test_pytest_crlf_line_endings() -> None:
    # A container run with a TTY ends lines with \r\n.
    log = "=== short test summary info ===\r\nPASSED t.py::test_a\r\n=== 1 passed in 0.01s ===\r\n"
    assert parse_log("pytest", log) == {"t.py::test_a": TestStatus.PASSED}


def test_pytest_line_separators_inside_ids_do_not_split_lines() -> None:
    # With escaping disabled an id may hold U+2028, which str.splitlines would break on.
    log = "=== short test summary info ===\nPASSED t.py::test_p[a\u2028b]\n=== 1 passed ==="
    assert parse_log("pytest", log) == {"t.py::test_p[a\u2028b]": TestStatus.PASSED}


def test_pytest_line_cut_off_inside_a_param_id() -> None:
    # A killed run can end mid-line; what is there is kept rather than dropped.
    log = "=== short test summary info ===\nFAILED t.py::test_p[abc"
    assert parse_log("pytest", log) == {"t.py::test_p[abc": TestStatus.FAILED}


def test_pytest_bracket_in_the_path_is_not_a_param_id() -> None:
    log = "=== short test summary info ===\nFAILED tests/[v2]/t.py::test_a - x[1] != y\n=== 1 failed ==="
    assert parse_log("pytest", log) == {"tests/[v2]/t.py::test_a": TestStatus.FAILED}


def test_pytest_collection_error_with_a_message() -> None:
    log = (
        "=== short test summary info ===\n"
        "ERROR tests/test_x.py - ImportError: cannot import name 'f' from 'pkg' (/testbed/pkg/__init__.py)\n"
        "!!! Interrupted: 1 error during collection !!!\n"
        "=== 1 error in 0.1s ==="
    )
    assert parse_log("pytest", log) == {"tests/test_x.py": TestStatus.ERROR}


# --- unittest -----------------------------------------------------------------------------------


def test_unittest_verbose(unittest_project: Path) -> None:
    log = run(unittest_project, "-m", "unittest", "-v", "pkg.test_mod", "pkg.test_broken")
    assert parse_log("unittest", log) == UNITTEST_IDS


def test_unittest_quiet_run_names_only_the_reported_tests(unittest_project: Path) -> None:
    log = run(unittest_project, "-m", "unittest", "pkg.test_mod", "pkg.test_broken")
    expected = {
        test_id: status
        for test_id, status in UNITTEST_IDS.items()
        if status in (TestStatus.FAILED, TestStatus.ERROR)
    }
    # Only Python 3.11+ lists unexpected successes in the failure report.
    if sys.version_info >= (3, 11):
        expected["pkg.test_mod.TestThings.test_xpass"] = TestStatus.XPASS
    assert parse_log("unittest", log) == expected


def test_unittest_python_3_10_format() -> None:
    # `test_x (pkg.mod.Class)` descriptions, a bare ERROR for setUpClass, and the description
    # after a failed subtest sharing a line with the next test's.
    log = (LOGS / "unittest-py3.10_v.log").read_text(encoding="utf-8")
    assert "test_sub (pkg.test_mod.TestThings) ... test_xfail" in log
    assert parse_log("unittest", log) == UNITTEST_IDS


def test_unittest_bare_outcome_after_a_finished_test_is_not_its_own() -> None:
    # Before 3.11 a failing setUpClass of the next class prints a bare ERROR line.
    log = "test_last (m.First) ... ok\nERROR\n\n======\nERROR: setUpClass (m.Second)\n------\n"
    assert parse_log("unittest", log) == {
        "m.First.test_last": TestStatus.PASSED,
        "m.Second.setUpClass": TestStatus.ERROR,
    }


def test_unittest_failure_report_overrides_output_that_looks_like_an_outcome() -> None:
    log = "test_a (m.C.test_a) ... ok\nFAIL\n\n======\nFAIL: test_a (m.C.test_a)\n------\n"
    assert parse_log("unittest", log) == {"m.C.test_a": TestStatus.FAILED}


def test_unittest_docstring_in_parentheses_is_not_a_test() -> None:
    log = "test_a (m.C)\nParse (basic) ... ok\n"
    assert parse_log("unittest", log) == {"m.C.test_a": TestStatus.PASSED}


# --- exit_code ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"), [(0, TestStatus.PASSED), (1, TestStatus.FAILED), (-9, TestStatus.FAILED)]
)
def test_exit_code(code: int, status: TestStatus) -> None:
    assert parse_log("exit_code", "anything", exit_code=code) == {SUITE_ID: status}


def test_exit_code_is_required() -> None:
    with pytest.raises(ValidationError, match="exit code"):
        parse_log("exit_code", "anything")


# --- registry and statuses ----------------------------------------------------------------------


def test_unknown_parser_names_the_known_ones() -> None:
    with pytest.raises(SpecError, match=r"'nose'.*exit_code, pytest, unittest"):
        parse_log("nose", "")


def test_every_parser_a_spec_may_name_is_registered() -> None:
    assert set(known_parsers()) == set(get_args(LogParser))


def test_register(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_PARSERS", dict(registry._PARSERS))

    @register("lines")
    def parse_lines(log: str, exit_code: int | None) -> dict[str, TestStatus]:
        return {line: TestStatus.PASSED for line in log.split()}

    assert parse_log("lines", "a b") == {"a": TestStatus.PASSED, "b": TestStatus.PASSED}
    with pytest.raises(ValueError, match="'lines' is already registered"):
        register("lines")(parse_lines)


@pytest.mark.parametrize(
    ("status", "passes"),
    [
        (TestStatus.PASSED, True),
        (TestStatus.XFAIL, True),
        (TestStatus.FAILED, False),
        (TestStatus.ERROR, False),
        (TestStatus.SKIPPED, False),
        # SWE-bench never records XPASS, so its grading counts such a test as absent: failed.
        (TestStatus.XPASS, False),
        (None, False),
    ],
)
def test_pass_and_fail(status: TestStatus | None, passes: bool) -> None:
    assert is_pass(status) is passes
    assert is_fail(status) is not passes


def test_statuses_serialise_as_their_names() -> None:
    assert json.dumps({"t": TestStatus.XPASS}) == '{"t": "XPASS"}'
    assert TestStatus("XFAIL") is TestStatus.XFAIL
