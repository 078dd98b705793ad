"""Selecting the named cases a test patch asks for, when the spec says tests are data-file cases."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from swegym_build.errors import SpecError
from swegym_build.publish.swebench import render_swebench_eval_script
from swegym_build.records import InstallConfig, TaskInstance, TestCases
from swegym_build.specs.loader import load_spec_file
from swegym_build.validate import evalscript
from swegym_build.validate.cases import selected_names
from swegym_build.validate.checks import check_side
from swegym_build.validate.parsers import TestStatus

CASES = TestCases(files=("test-data/unit/*.test",), name=r"^\[case (\w+)")
CONFIG_DICT = {"python": "3.12", "test_cmd": "python -m pytest -n0 -rA", "log_parser": "pytest",
               "test_cases": CASES.to_dict()}  # fmt: skip
CONFIG = InstallConfig.from_dict(CONFIG_DICT)
# A mypy-like test patch: a new case after one in the hunk's context, an edit inside a case whose
# header is three lines up, a removed case, and a unit test module with a new test beside an old one.
PATCH = """\
diff --git a/test-data/unit/check-dataclasses.test b/test-data/unit/check-dataclasses.test
--- a/test-data/unit/check-dataclasses.test
+++ b/test-data/unit/check-dataclasses.test
@@ -10,4 +10,9 @@
 [case testDataclassBasic]
 from dataclasses import dataclass
 @dataclass
 class A: ...
+
+[case testDataclassFrozen-skip]
+from dataclasses import dataclass
+@dataclass(frozen=True)
+class B: ...
@@ -40,6 +45,2 @@
-[case testDataclassGone]
-x = 1
-
 [case testDataclassKept]
 y = 2
-z = 3
+z = 4
diff --git a/mypy/test/teststubgen.py b/mypy/test/teststubgen.py
--- a/mypy/test/teststubgen.py
+++ b/mypy/test/teststubgen.py
@@ -1,3 +1,6 @@
 class StubgenUtilSuite:
     def test_old(self) -> None:
         pass
+
+    def test_new(self) -> None:
+        pass
diff --git a/docs/notes.md b/docs/notes.md
--- a/docs/notes.md
+++ b/docs/notes.md
@@ -1 +1 @@
-[case testNotACase]
+[case testStillNotACase]
"""


def test_the_cases_the_patch_adds_or_shows_are_selected_then_the_test_functions() -> None:
    names = ["testDataclassBasic", "testDataclassFrozen", "testDataclassKept", "test_old", "test_new"]
    assert selected_names(PATCH, CASES) == names
    assert evalscript.targets_to_run(PATCH, CONFIG) == ["-k", " or ".join(names)]
    command = evalscript.test_command(CONFIG, PATCH)
    assert command.endswith(f"--continue-on-collection-errors -k '{' or '.join(names)}'")
    dumped = evalscript.dumped_files(PATCH, CASES)
    assert dumped == ["test-data/unit/check-dataclasses.test", "mypy/test/teststubgen.py"]


def test_without_cases_in_the_patch_or_without_test_cases_the_modules_run() -> None:
    python_only = PATCH[PATCH.index("diff --git a/mypy") :]
    assert selected_names(python_only, CASES) == []
    assert evalscript.targets_to_run(python_only, CONFIG) == ["mypy/test/teststubgen.py"]
    plain = InstallConfig(python="3.12", test_cmd="pytest", log_parser="pytest")
    assert evalscript.targets_to_run(PATCH, plain) == ["mypy/test/teststubgen.py"]


def test_swebench_eval_script_runs_the_same_selection() -> None:
    instance = TaskInstance(
        instance_id="python__mypy-1", repo="python/mypy", base_commit="0" * 40, patch="", test_patch=PATCH,
        problem_statement="p", hints_text="", created_at="2024-01-01T00:00:00Z", pull_number=1,
        issue_numbers=[], install_config=CONFIG_DICT,
    )  # fmt: skip
    (line,) = [line for line in render_swebench_eval_script(instance).splitlines() if "pytest" in line]
    expected = [*CONFIG.test_cmd.split(), *evalscript.targets_to_run(PATCH, CONFIG)]
    assert shlex.split(shlex.split(line)[-1]) == expected


def test_case_ids_are_accepted_and_ids_k_only_matched_are_left_out() -> None:
    files = {"test-data/unit/check-dataclasses.test": "[case testDataclassBasic]\n[case testDataclassKept]\n"}
    log = (
        "============================= test session starts ==============================\n"
        "=========================== short test summary info ============================\n"
        "PASSED mypy/test/testcheck.py::TypeCheckSuite::check-dataclasses.test::testDataclassBasic\n"
        "FAILED mypy/test/testcheck.py::TypeCheckSuite::check-dataclasses.test::testDataclassKept\n"
        "PASSED mypy/test/testcheck.py::TypeCheckSuite::check-other.test::testDataclassBasicInherit\n"
        "PASSED mypy/test/testcheck.py::TypeCheckSuite::check-other.test::testUnrelated\n"
        "=================== 1 failed, 3 passed in 0.01s ===================\n"
    )
    check = check_side("pytest", log, 1, files, CASES, ["testDataclassBasic", "testDataclassKept"])
    assert check.problem is None, check.detail
    suite = "mypy/test/testcheck.py::TypeCheckSuite::check-dataclasses.test"
    assert check.statuses == {
        f"{suite}::testDataclassBasic": TestStatus.PASSED,
        f"{suite}::testDataclassKept": TestStatus.FAILED,
    }
    # the -k substring match is no phantom; a name nobody asked for still is
    assert check.phantoms == ["mypy/test/testcheck.py::TypeCheckSuite::check-other.test::testUnrelated"]
    # without the spec's test_cases, a data file's case is no test the patch's files define
    assert check_side("pytest", log, 1, files).phantoms != check.phantoms


def test_the_spec_field_is_read_and_carried_by_the_rows(tmp_path: Path) -> None:
    spec = tmp_path / "python__mypy.yaml"
    body = (
        "repo: python/mypy\ndefaults:\n  python: '3.12'\n  install: [pip install -e .]\n"
        "  test_cmd: pytest\n  log_parser: pytest\nversions:\n  '*':\n    test_cases:\n"
        "      files: ['test-data/unit/*.test']\n      name: '{name}'\n"
    )  # fmt: skip
    spec.write_text(body.format(name=r"^\[case (\w+)"))
    version = load_spec_file(spec).for_version("1.10")
    assert version.test_cases == CASES
    config = version.to_install_config()
    assert config["test_cases"] == {"files": ["test-data/unit/*.test"], "name": r"^\[case (\w+)"}
    assert InstallConfig.from_dict(config).test_cases == CASES
    spec.write_text(body.format(name=r"^\[case \w+"))
    with pytest.raises(SpecError, match="needs a group that captures the case's name"):
        load_spec_file(spec)


def test_the_case_a_hunk_edits_above_the_header_it_shows_is_the_one_before(tmp_path: Path) -> None:
    # git's 3 lines of context: the edit at the end of testFirst shows testSecond's header below
    # it and no header above; testFirst is read from the file at the base commit
    from swegym_build.validate.cases import enclosing_cases
    from tests.versions.githistory import GitHistory

    history = GitHistory(tmp_path / "repo.git")
    first = "[case testFirst]\n" + "x = 1\n" * 6
    second = "[case testSecond]\ny = 2\n"
    base = history.commit({"test-data/unit/check-a.test": first + second}, date="2024-01-01T00:00:00Z")
    edited = first.replace("x = 1\n", "x = 3\n", 6).replace("x = 3\n", "x = 1\n", 5)
    changed = history.commit({"test-data/unit/check-a.test": edited + second}, date="2024-01-02T00:00:00Z")
    patch = history.git("diff", base, changed) + "\n"

    def at_base(path: str) -> str:
        return history.git("show", f"{base}:{path}")

    assert "[case testSecond]" in patch and "[case testFirst]" not in patch
    assert enclosing_cases(patch, CASES, at_base) == ["testFirst"]
    assert selected_names(patch, CASES, ["testFirst"]) == ["testFirst", "testSecond"]
    assert enclosing_cases(patch, CASES, lambda _path: None) == []  # unreadable: nothing guessed
