"""A test patch that edits a data-file case below its header's hunk context, through the real engine.

`acme/longcase`'s tests are `[case NAME]` blocks in `test-data/*.test` (mypy's layout). The task's
test patch adds an expectation at the end of a long case, `testLong`, whose header is more than
three lines up: the hunk shows no case name (mypy-19859). The case is found in the file at the
base commit and run by name: without it the patch named no case and the whole suite ran (mypy:
10k tests, past the time limit). Grading selects it again from the row's FAIL_TO_PASS.
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
from tests.validate.test_data_cases import BUGGY, CONFTEST, FIXED, SETUP_PY
from tests.versions.githistory import GitHistory, raw_row

pytestmark = pytest.mark.docker
REPO = "acme/longcase"
INSTANCE = "acme__longcase-3"
SPEC = r"""
repo: acme/longcase
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
LONG = "[case testLong]\n" + "add 1 1 = 2\n" * 8
OTHER = "[case testOther]\nadd 2 2 = 4\n"


def _row(mirror: Path) -> dict[str, object]:
    history = GitHistory(mirror)
    files = {"setup.py": SETUP_PY, "conftest.py": CONFTEST, "calc/__init__.py": BUGGY}
    base = history.commit(
        {**files, "test-data/check-long.test": LONG, "test-data/check-other.test": OTHER},
        date="2024-03-01T10:00:00Z",
    )
    tests = history.commit(
        {"test-data/check-long.test": LONG + "sub 5 3 = 2\n"},
        date="2024-03-02T10:00:00Z",
        branch="t",
        start=base,
    )
    fix = history.commit({"calc/__init__.py": FIXED}, date="2024-03-02T10:00:00Z", branch="fix", start=base)
    row = raw_row(REPO, 3, base, "2024-03-03")
    row["test_patch"] = history.git("diff", base, tests) + "\n"
    row["patch"] = history.git("diff", base, fix) + "\n"
    assert "[case" not in row["test_patch"]  # the hunk shows no header: the point of the test
    return row


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient) -> Workspace:
    root = tmp_path_factory.mktemp("headerless-case")
    (root / "specs").mkdir()
    (root / "specs" / "acme__longcase.yaml").write_text(SPEC)
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
        options = ValidateOptions(runs=1, limits=ContainerLimits(timeout=VALIDATION_TIMEOUT))
        run_validate(workspace, state, instances, options)
    return workspace


def test_the_case_a_headerless_hunk_edits_is_run_by_name(validated: Workspace) -> None:
    result = read_result(validated, INSTANCE)
    assert result is not None and result.reason == "kept", result
    assert result.FAIL_TO_PASS == ["test-data/check-long.test::testLong"]
    log = next((validated.root / "logs" / "validate").rglob("run-1/before.log")).read_text()
    assert "-k testLong" in (validated.log_dir("validate", INSTANCE) / "run-1" / "before.sh").read_text()
    assert "testOther" not in log  # the rest of the suite did not run


def test_grading_selects_the_same_case_from_the_row(validated: Workspace) -> None:
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
    assert grade(row, str(row["patch"]), limits=limits).resolved
    unrelated = (
        "diff --git a/README b/README\nnew file mode 100644\n--- /dev/null\n+++ b/README\n@@ -0,0 +1 @@\n+x\n"
    )
    assert not grade(row, unrelated, limits=limits).resolved
