"""Tests that are cases in data files (mypy's `[case testX]` blocks), through the real engine.

A generated repository, `acme/cases`, whose root conftest collects `test-data/*.test` files as
mypy's suites do: each `[case NAME]` block is one test. Its spec's `test_cases` names those files.
The task's test patch adds `testSub` to `check-more.test` (whose `testMore` is in the hunk's
context) and a unit test module; `check-add.test` is not touched, and `check-sub.test` holds
`testSubtractZero`, which `-k testSub` also selects.
"""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from swegym_build.containment import ContainerLimits
from swegym_build.evaluate import grade
from swegym_build.handoff import read_built, read_result, read_versioned
from swegym_build.images.stage import run_build
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.state import StateStore
from swegym_build.validate.stage import ValidateOptions, run_validate
from swegym_build.versions.stage import PythonOptions, run_versions
from swegym_build.workspace import Workspace
from tests.conftest import VALIDATION_TIMEOUT
from tests.versions.githistory import GitHistory, raw_row

pytestmark = pytest.mark.docker
REPO = "acme/cases"
INSTANCE = "acme__cases-7"
SPEC = r"""
repo: acme/cases
defaults:
  python: "3.11"
  install: [python -m pip install -e .]
  pip_packages: [pytest]
  test_cmd: pytest -rA
  log_parser: pytest
  test_cases:
    files: ["test-data/*.test"]
    name: '^\[case (\w+)'
versions:
  "*": {}
"""
CONFTEST = """\
import re

import pytest

import calc

CASE = re.compile(r"^\\[case (\\w+)\\]")


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".test" and file_path.parent.name == "test-data":
        return DataFile.from_parent(parent, path=file_path)


class DataFile(pytest.File):
    def collect(self):
        name, body = None, []
        for line in self.path.read_text().splitlines() + ["[case end]"]:
            match = CASE.match(line)
            if match:
                if name:
                    yield Case.from_parent(self, name=name, body=body)
                name, body = match.group(1), []
            elif line.strip():
                body.append(line)


class Case(pytest.Item):
    def __init__(self, *, body, **kwargs):
        super().__init__(**kwargs)
        self.body = body

    def runtest(self):
        for line in self.body:
            operation, a, b, _, wanted = line.split()
            assert getattr(calc, operation)(int(a), int(b)) == int(wanted), line

    def reportinfo(self):
        return self.path, 0, self.name
"""
SETUP_PY = "from setuptools import setup\nsetup(name='calc', version='1.0.0', packages=['calc'])\n"
BUGGY = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n"
FIXED = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
MORE = "[case testMore]\nadd 1 1 = 2\n"
UNIT = "import calc\n\n\ndef test_sub_unit():\n    assert calc.sub(3, 1) == 2\n"


def _row(mirror: Path) -> dict[str, object]:
    history = GitHistory(mirror)
    base = history.commit(
        {
            "setup.py": SETUP_PY,
            "conftest.py": CONFTEST,
            "calc/__init__.py": BUGGY,
            "test-data/check-add.test": "[case testAdd]\nadd 2 3 = 5\n\n[case testAddZero]\nadd 0 0 = 0\n",
            "test-data/check-more.test": MORE,
            "test-data/check-sub.test": "[case testSubtractZero]\nsub 0 0 = 0\n",
        },
        date="2024-03-01T10:00:00Z",
    )
    tests = history.commit(
        {"test-data/check-more.test": MORE + "\n[case testSub]\nsub 5 3 = 2\n", "tests/test_unit.py": UNIT},
        date="2024-03-02T10:00:00Z",
        branch="tests",
        start=base,
    )
    fix = history.commit({"calc/__init__.py": FIXED}, date="2024-03-02T10:00:00Z", branch="fix", start=base)
    row = raw_row(REPO, 7, base, "2024-03-03")
    row["test_patch"] = history.git("diff", base, tests) + "\n"
    row["patch"] = history.git("diff", base, fix) + "\n"
    return row


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient) -> Workspace:
    root = tmp_path_factory.mktemp("data-cases")
    (root / "specs").mkdir()
    (root / "specs" / "acme__cases.yaml").write_text(SPEC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(root / "specs"))
        workspace = Workspace.resolve(root / "ws")
        write_jsonl_atomically(workspace.raw_file(REPO), [_row(workspace.mirror_dir(REPO))])
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", PythonDownloads("off")))
        assert versions.outcomes == {"kept": 1}
        instances = read_versioned(workspace, None, None)
        built = run_build(docker_client, workspace, state, instances)
        assert built.outcomes == {"kept": 1}, built.report.problems
        options = ValidateOptions(runs=2, limits=ContainerLimits(timeout=VALIDATION_TIMEOUT))
        run_validate(workspace, state, instances, options)
    return workspace


def test_only_the_cases_the_test_patch_adds_or_shows_run_and_are_judged(validated: Workspace) -> None:
    result = read_result(validated, INSTANCE)
    assert result is not None and result.reason == "kept", result
    assert result.FAIL_TO_PASS == ["test-data/check-more.test::testSub", "tests/test_unit.py::test_sub_unit"]
    # testMore is in the hunk's context; check-add.test's cases were not asked for, and
    # check-sub.test's testSubtractZero, which `-k testSub` also ran, is neither a task test nor a phantom
    assert result.PASS_TO_PASS == ["test-data/check-more.test::testMore"]
    log = next((validated.root / "logs" / "validate").rglob("run-1/before.log")).read_text()
    assert "testSubtractZero" in log and "testAddZero" not in log


def test_the_gold_patch_grades_resolved_and_a_case_file_the_model_edits_is_put_back(
    validated: Workspace,
) -> None:
    (instance,) = read_versioned(validated, None, None)
    result = read_result(validated, INSTANCE)
    assert result is not None
    row = {
        **instance.to_dict(),
        "FAIL_TO_PASS": result.FAIL_TO_PASS,
        "PASS_TO_PASS": result.PASS_TO_PASS,
        "image_name": read_built(validated)[INSTANCE].image,
    }
    limits = ContainerLimits(timeout=120)
    gold = grade(row, str(row["patch"]), limits=limits)
    assert gold.resolved, gold.detail
    # No fix: a passing `testSub` in another case file. It is restored before the tests run.
    forged = (
        "diff --git a/test-data/check-sub.test b/test-data/check-sub.test\n"
        "--- a/test-data/check-sub.test\n+++ b/test-data/check-sub.test\n"
        "@@ -1,2 +1,4 @@\n [case testSubtractZero]\n sub 0 0 = 0\n+[case testSub]\n+sub 0 0 = 0\n"
    )
    report = grade(row, forged, limits=limits)
    assert report.tampered_tests == ["test-data/check-sub.test"]
    assert not report.resolved and report.tests_status["FAIL_TO_PASS"]["failure"] == row["FAIL_TO_PASS"]
