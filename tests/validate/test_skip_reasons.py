"""A rejection says why nothing was fixed (tests skipped for a module the env lacks), via the real engine.

A generated repository, `acme/optional`, whose two tasks' new tests need a module no recipe
installs: one test skips itself (`pytest.importorskip` in the test: no_fail_to_pass), the other's
module skips whole (no test id at all: env_broken). The user reading the rejection must learn which
module to add to the spec's pip_packages, not only that nothing passed.
"""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from swegym_build.containment import ContainerLimits
from swegym_build.handoff import read_result, read_versioned
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
REPO = "acme/optional"
SPEC = """
repo: acme/optional
defaults:
  python: "3.11"
  install: [python -m pip install -e .]
  pip_packages: [pytest]
  # -v: a skipped test's id is on its progress line only (-rA folds skips into locations)
  test_cmd: pytest -rA -v
  log_parser: pytest
versions:
  "*": {}
"""
SETUP_PY = "from setuptools import setup\nsetup(name='store', version='1.0.0', packages=['store'])\n"
BUGGY = "def save(rows):\n    return len(rows) + 1\n"
FIXED = "def save(rows):\n    return len(rows)\n"
MISSING = "tables_not_in_the_env"
SKIPS_ITSELF = (
    "import pytest\n\nimport store\n\n\ndef test_save_counts_rows():\n"
    f"    pytest.importorskip({MISSING!r})\n    assert store.save([1, 2]) == 2\n"
)
SKIPS_WHOLE = (
    f"import pytest\n\npytest.importorskip({MISSING!r})\n\nimport store\n\n\n"
    "def test_save_counts_rows():\n    assert store.save([1, 2]) == 2\n"
)


def _rows(mirror: Path) -> list[dict[str, object]]:
    history = GitHistory(mirror)
    base = history.commit(
        {
            "setup.py": SETUP_PY,
            "store/__init__.py": BUGGY,
            "tests/test_base.py": "def test_ok():\n    pass\n",
        },
        date="2024-03-01T10:00:00Z",
    )
    fix = history.commit({"store/__init__.py": FIXED}, date="2024-03-02T10:00:00Z", branch="fix", start=base)
    rows = []
    for number, test in ((1, SKIPS_ITSELF), (2, SKIPS_WHOLE)):
        tests = history.commit(
            {"tests/test_save.py": test}, date="2024-03-02T10:00:00Z", branch=f"tests-{number}", start=base
        )
        row = raw_row(REPO, number, base, "2024-03-03")
        row["test_patch"] = history.git("diff", base, tests) + "\n"
        row["patch"] = history.git("diff", base, fix) + "\n"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient) -> Workspace:
    root = tmp_path_factory.mktemp("skip-reasons")
    (root / "specs").mkdir()
    (root / "specs" / "acme__optional.yaml").write_text(SPEC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(root / "specs"))
        workspace = Workspace.resolve(root / "ws")
        write_jsonl_atomically(workspace.raw_file(REPO), _rows(workspace.mirror_dir(REPO)))
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", PythonDownloads("off")))
        assert versions.outcomes == {"kept": 2}
        instances = read_versioned(workspace, None, None)
        built = run_build(docker_client, workspace, state, instances)
        assert built.outcomes == {"kept": 2}, built.report.problems
        options = ValidateOptions(runs=2, limits=ContainerLimits(timeout=VALIDATION_TIMEOUT))
        run_validate(workspace, state, instances, options)
    return workspace


SKIPPED = f"skipped: could not import '{MISSING}': No module named '{MISSING}' (x1)"


def test_a_test_skipped_for_a_missing_module_is_named_in_the_no_fail_to_pass_detail(
    validated: Workspace,
) -> None:
    result = read_result(validated, "acme__optional-1")
    assert result is not None and result.reason == "no_fail_to_pass", result
    assert result.FAIL_TO_FAIL == ["tests/test_save.py::test_save_counts_rows"]
    assert result.detail == (
        "stopped after run 1 of 2: no test failed before the fix and passed after it; "
        f"after the fix: 1 skipped; {SKIPPED}"
    )


def test_a_module_skipped_whole_is_env_broken_with_the_reason(validated: Workspace) -> None:
    result = read_result(validated, "acme__optional-2")
    assert result is not None and result.reason == "env_broken", result
    assert result.detail == f"stopped after run 1 of 2: no test reported a status after the fix; {SKIPPED}"
