"""Closing-summary checks, outermost-session parsing and the static collection, on real pytest and
unittest output (run here) and on the checked-in logs of older pytest versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from swegym_build.records import InstallConfig
from swegym_build.validate import evalscript
from swegym_build.validate.checks import NO_CLOSING_SUMMARY, SUMMARY_MISMATCH, Collection, check_side
from swegym_build.validate.parsers import TestStatus
from tests.validate.test_parsers import LOGS, PYTEST_SAMPLE, UNITTEST_SAMPLE, run, run_pytest

NESTED = """\
import subprocess, sys


def test_runs_pytest_itself(tmp_path):
    (tmp_path / "test_inner.py").write_text("def test_inner_fix():\\n    assert True\\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True)
    print(done.stdout)
    assert False, "the outer test fails"
"""
PHANTOM = """\
def test_real():
    print("tests/test_phantom.py::test_phantom_fix PASSED")
    print("PASSED tests/test_phantom.py::test_phantom_fix")
    assert True
"""


def _files(project: Path, *paths: str) -> dict[str, str]:
    return {path: (project / path).read_text(encoding="utf-8") for path in paths}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("checks-project")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (root / "tests").mkdir()
    for name, text in (
        ("test_sample.py", PYTEST_SAMPLE),
        ("test_nested.py", NESTED),
        ("test_phantom.py", PHANTOM),
    ):
        (root / "tests" / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("flags", [("-rA",), ("-rA", "-v"), ("-v", "-rN")])
def test_a_real_run_has_a_closing_summary_that_agrees(project: Path, flags: tuple[str, ...]) -> None:
    log = run_pytest(project, *flags, "tests/test_sample.py")
    check = check_side("pytest", log, 1, _files(project, "tests/test_sample.py"))
    assert check.problem is None, check.detail
    assert check.phantoms == []
    assert check.statuses["tests/test_sample.py::test_pass"] == TestStatus.PASSED


@pytest.mark.parametrize("name", ["pytest-3.10.1_rap.log", "pytest-4.6.11_rA.log", "pytest-7.4.4_rA.log"])
def test_older_pytest_summaries_agree(name: str) -> None:
    log = (LOGS / name).read_text(encoding="utf-8")
    check = check_side("pytest", log, 1, {"tests/test_sample.py": PYTEST_SAMPLE})
    assert check.problem is None, check.detail
    assert check.phantoms == []


def test_a_run_cut_off_before_its_summary_does_not_count(project: Path) -> None:
    log = run_pytest(project, "-rA", "tests/test_sample.py")
    cut = log[: log.index("short test summary info")]
    check = check_side("pytest", cut, 1, _files(project, "tests/test_sample.py"))
    assert check.problem == NO_CLOSING_SUMMARY


def test_a_printed_result_line_in_the_progress_area_breaks_the_agreement(project: Path) -> None:
    log = run_pytest(project, "-rA", "-v", "tests/test_sample.py")
    forged = log.replace("tests/test_sample.py::test_pass PASSED", "tests/test_sample.py::test_pass PASSED\n"
                         "tests/test_sample.py::test_forged PASSED", 1)  # fmt: skip
    check = check_side("pytest", forged.replace("PASSED tests/test_sample.py::test_pass\n",
                                                "PASSED tests/test_sample.py::test_pass\n"
                                                "PASSED tests/test_sample.py::test_forged\n"), 1,
                       _files(project, "tests/test_sample.py"))  # fmt: skip
    assert check.problem == SUMMARY_MISMATCH
    assert "8 PASSED" in check.detail and "9 PASSED" in check.detail


def test_lines_printed_by_a_test_are_not_results(project: Path) -> None:
    log = run_pytest(project, "-rA", "-v", "tests/test_phantom.py", "tests/test_nested.py")
    assert "test_phantom_fix PASSED" in log and "test_inner_fix" in log
    check = check_side("pytest", log, 1, _files(project, "tests/test_phantom.py", "tests/test_nested.py"))
    assert check.problem is None, check.detail
    assert check.statuses == {
        "tests/test_phantom.py::test_real": TestStatus.PASSED,
        "tests/test_nested.py::test_runs_pytest_itself": TestStatus.FAILED,
    }


def test_nested_session_with_capture_off_is_ignored(project: Path) -> None:
    # -s: the inner session's header, results and closing line land in the outer progress area.
    log = run_pytest(project, "-rA", "-s", "tests/test_nested.py")
    assert log.count("test session starts") == 2
    check = check_side("pytest", log, 1, _files(project, "tests/test_nested.py"))
    assert check.problem is None, check.detail
    assert check.statuses == {"tests/test_nested.py::test_runs_pytest_itself": TestStatus.FAILED}


def test_ids_the_test_files_do_not_define_are_phantoms() -> None:
    log = (
        "============================= test session starts ==============================\n"
        "=========================== short test summary info ============================\n"
        "PASSED tests/test_ops.py::test_add\n"
        "PASSED tests/test_ops.py::test_phantom_fix\n"
        "PASSED tests/elsewhere.py::test_x\n"
        "============================== 3 passed in 0.01s ===============================\n"
    )
    check = check_side("pytest", log, 0, {"tests/test_ops.py": "def test_add():\n    pass\n"})
    assert check.problem is None
    assert check.phantoms == ["tests/elsewhere.py::test_x", "tests/test_ops.py::test_phantom_fix"]
    assert check.statuses == {"tests/test_ops.py::test_add": TestStatus.PASSED}


def test_the_static_collection_accepts_what_it_cannot_rule_out() -> None:
    source = (
        "import pytest\nfrom helpers import test_shared\nfrom base import Base\n"
        "class TestPlain:\n    def test_m(self):\n        pass\n"
        "    class TestInner:\n        def test_i(self):\n            pass\n"
        "class TestInherits(Base):\n    pass\n"
        "if True:\n    def test_conditional():\n        pass\n"
        "test_assigned = pytest.mark.skip(lambda: None)\n"
    )
    collection = Collection({"t.py": source, "broken.py": "def (:\n"})
    for test_id in ("t.py::TestPlain::test_m", "t.py::TestPlain::TestInner::test_i", "t.py::test_shared",
                    "t.py::TestInherits::test_from_base", "t.py::test_conditional", "t.py::test_assigned[1]",
                    "broken.py::anything"):  # fmt: skip
        assert collection.has("pytest", test_id), test_id
    for test_id in ("t.py::TestPlain::test_missing", "t.py::test_missing", "t.py::TestPlain::test_m::x",
                    "other.py::test_shared"):  # fmt: skip
        assert not collection.has("pytest", test_id), test_id
    # A runner whose rootdir is a subfolder names files relative to it.
    nested = Collection({"python/tests/t.py": "def test_a():\n    pass\n"})
    assert nested.has("pytest", "tests/t.py::test_a") and not nested.has("pytest", "tests/t.py::test_b")


def test_unittest_closing_summary_and_collection(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "test_mod.py").write_text(UNITTEST_SAMPLE)
    log = run(tmp_path, "-m", "unittest", "-v", "pkg.test_mod")
    files = {"pkg/test_mod.py": UNITTEST_SAMPLE}
    check = check_side("unittest", log, 1, files)
    assert check.problem is None and check.phantoms == [] and check.statuses
    cut = log[: log.index("\nRan ")]
    assert check_side("unittest", cut, 1, files).problem == NO_CLOSING_SUMMARY
    forged_ok = cut + "\nRan 3 tests in 0.001s\n\nOK\n"
    assert check_side("unittest", forged_ok, 0, files).problem == SUMMARY_MISMATCH


def test_tests_a_decorator_expands_are_accepted_beside_the_function() -> None:
    # MONAI's way: `parameterized.expand` turns test_affine_grid into test_affine_grid_00, _01, ...
    source = (
        "from parameterized import parameterized\nimport unittest\n"
        "class TestAffineGrid(unittest.TestCase):\n"
        "    @parameterized.expand(TEST_CASES)\n    def test_affine_grid(self, args):\n        pass\n"
        "    def test_plain(self):\n        pass\n"
    )
    collection = Collection({"tests/test_affine_grid.py": source})
    assert collection.has("pytest", "tests/test_affine_grid.py::TestAffineGrid::test_affine_grid_00")
    assert collection.has("unittest", "tests.test_affine_grid.TestAffineGrid.test_affine_grid_1_shift")
    for phantom in ("test_plain_0", "test_affine", "test_other"):
        assert not collection.has("pytest", f"tests/test_affine_grid.py::TestAffineGrid::{phantom}"), phantom


def test_a_touched_file_that_does_not_collect_leaves_the_others_tests_on_the_side(tmp_path: Path) -> None:
    # the before side of a typical task: the new test file imports what only the fix adds
    (tmp_path / "tests").mkdir()
    files = {
        "tests/test_old.py": "def test_old():\n    pass\n",
        "tests/test_new.py": "from calc import not_yet\n\n\ndef test_new():\n    pass\n",
    }
    for path, text in files.items():
        (tmp_path / path).write_text(text)
    config = InstallConfig(python="3.11", test_cmd="python -m pytest -rA", log_parser="pytest")
    patch = "".join(f"diff --git a/{p} b/{p}\n--- /dev/null\n+++ b/{p}\n@@ -0,0 +1 @@\n+x\n" for p in files)
    command = evalscript.test_command(config, patch)
    assert command.startswith("python -m pytest -rA --continue-on-collection-errors ")
    log = run(tmp_path, "-m", "pytest", *command.split()[3:])
    check = check_side("pytest", log, 1, files)
    assert check.problem is None, check.detail
    assert check.statuses == {"tests/test_old.py::test_old": TestStatus.PASSED}  # a P2P, not a F2P


@pytest.mark.parametrize(
    "test_cmd",
    [
        "python -m unittest discover -v",  # the draft's command for a unittest suite (MONAI 0.7)
        "python -m unittest discover -v -s tests -p 'test_*.py' -t .",
        "python -m unittest discover --start-directory=tests -b -v tests",
    ],
)
def test_a_discovering_unittest_command_runs_the_touched_modules_by_name(
    tmp_path: Path, test_cmd: str
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "test_mod.py").write_text(UNITTEST_SAMPLE)
    untouched = (
        "import unittest\n\n\nclass T(unittest.TestCase):\n    def test_untouched(self):\n        pass\n"
    )
    (tmp_path / "tests" / "test_other.py").write_text(untouched)
    config = InstallConfig(python="3.11", test_cmd=test_cmd, log_parser="unittest")
    touched = "tests/test_mod.py"
    patch = f"diff --git a/{touched} b/{touched}\n--- a/{touched}\n+++ b/{touched}\n"
    command = evalscript.test_command(config, patch)
    assert "discover" not in command and command.endswith(" tests.test_mod")
    log = run(tmp_path, *command.split()[1:])  # `unittest: error: unrecognized arguments` with discover
    check = check_side("unittest", log, 1, {"tests/test_mod.py": UNITTEST_SAMPLE})
    assert check.problem is None, log
    assert check.statuses and not any("test_untouched" in test for test in check.statuses)
