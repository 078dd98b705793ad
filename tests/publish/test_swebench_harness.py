"""SWE-bench 5.0.2's own harness grades the published demo rows as our validation did.

`swebench==5.0.2` is installed from PyPI into a virtualenv of its own (kept in pytest's cache
folder, so later runs reuse it) and run as users run it: `python -m
swebench.harness.run_evaluation --dataset_name <train.jsonl> --predictions_path gold`, against the
images the dry-run publish tagged on the local engine (the harness pulls only an image it cannot
find, so nothing is pulled). Gold patches resolve every row; empty patches and a patch that fixes
nothing resolve none; SWE-bench's `check_task_repo` finds nothing wrong with the task repo.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from swegym_build.publish.stage import PublishOptions, run_publish
from swegym_build.publish.swebench import swebench_lists
from swegym_build.state import StateStore
from swegym_build.testing.swebench_harness import VERSION, run_evaluation, swebench_python
from swegym_build.validate.parsers import is_pass, parse_log
from swegym_build.workspace import Workspace
from tests.publish.helpers import make_instance

pytestmark = pytest.mark.docker

# The harness names its containers after the run id and removes a same-named one before it starts:
# a run id of our own keeps two sessions on one engine from killing each other's containers.
RUN_ID = f"ci-{os.getpid()}"
DEMO_ROWS = [f"swegym-demo__calculator-{n}" for n in (10, 13, 2, 21)]
# A real change that touches no code: the tests see the base commit's behaviour.
NO_FIX_PATCH = (
    "diff --git a/NOTES.md b/NOTES.md\nnew file mode 100644\n--- /dev/null\n+++ b/NOTES.md\n"
    "@@ -0,0 +1 @@\n+Looked into it; no fix yet.\n"
)


@pytest.fixture(scope="session")
def swebench(request: pytest.FixtureRequest) -> Path:
    """The Python of a virtualenv holding swebench==5.0.2 (installed once, then reused)."""
    return swebench_python(Path(request.config.cache.mkdir(f"swebench-{VERSION}")))


@dataclass(frozen=True)
class Published:
    dataset: Path
    task_repo: Path
    rows: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def published(
    validated_sample: Workspace, docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Published:
    task_repo = tmp_path_factory.mktemp("task-repo")
    options = PublishOptions(repo_id="acme/graded", namespace="acme", dry_run=True, task_repo=task_repo)
    summary = run_publish(validated_sample, StateStore(validated_sample.state_db), options)
    dataset = summary.export.folder / "jsonl" / "train.jsonl"
    rows = {row["instance_id"]: row for row in map(json.loads, dataset.read_text().splitlines())}
    assert sorted(rows) == sorted(DEMO_ROWS)
    return Published(dataset, task_repo, rows)


def write_predictions(path: Path, rows: dict[str, dict[str, Any]], patch: str, model: str) -> Path:
    lines = [json.dumps({"instance_id": i, "model_patch": patch, "model_name_or_path": model}) for i in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_swe_bench_resolves_every_published_row_with_its_gold_patch(
    swebench: Path, published: Published, tmp_path: Path
) -> None:
    run = run_evaluation(swebench, published.dataset, "gold", RUN_ID, tmp_path, workers=2)

    assert run.summary["resolved_ids"] == sorted(DEMO_ROWS), run.output[-3000:]
    assert run.summary["error_ids"] == [] and run.summary["unresolved_ids"] == []
    for instance_id, row in published.rows.items():
        # Every listed test was found in SWE-bench's reading of the log, and passed.
        tests = run.instance_report(instance_id)["tests_status"]
        assert tests["FAIL_TO_PASS"] == {"success": json.loads(row["FAIL_TO_PASS"]), "failure": []}
        assert tests["PASS_TO_PASS"] == {"success": json.loads(row["PASS_TO_PASS"]), "failure": []}
        # The image the row names was on the engine: the harness did not try to pull it.
        assert "attempting to pull" not in (run.logs / instance_id / "run_instance.log").read_text()


def test_swe_bench_resolves_nothing_with_empty_patches(
    swebench: Path, published: Published, tmp_path: Path
) -> None:
    predictions = write_predictions(tmp_path / "empty.jsonl", published.rows, "", "empty")
    run = run_evaluation(swebench, published.dataset, predictions, RUN_ID, tmp_path, model="empty")

    assert run.summary["resolved_ids"] == []
    assert run.summary["empty_patch_ids"] == sorted(DEMO_ROWS)


def test_swe_bench_resolves_nothing_with_a_patch_that_fixes_nothing(
    swebench: Path, published: Published, tmp_path: Path
) -> None:
    predictions = write_predictions(tmp_path / "nofix.jsonl", published.rows, NO_FIX_PATCH, "nofix")
    run = run_evaluation(swebench, published.dataset, predictions, RUN_ID, tmp_path, model="nofix", workers=2)

    assert run.summary["resolved_ids"] == [], run.output[-3000:]
    assert run.summary["unresolved_ids"] == sorted(DEMO_ROWS)
    for instance_id, row in published.rows.items():
        # The tests ran (the patch applied) and every FAIL_TO_PASS test failed, as before the fix.
        report = run.instance_report(instance_id)
        assert report["patch_successfully_applied"]
        assert report["tests_status"]["FAIL_TO_PASS"]["failure"] == json.loads(row["FAIL_TO_PASS"])


def test_swe_bench_finds_no_problem_in_the_task_repo(swebench: Path, published: Published) -> None:
    check = textwrap.dedent(
        """
        import json, sys
        from swebench.task.checks import check_task_repo
        from swebench.task.repo import load_task_repo
        print(json.dumps({"problems": [str(p) for p in check_task_repo(sys.argv[1])],
                          "ids": [t["instance_id"] for t in load_task_repo(sys.argv[1])]}))
        """
    )
    done = subprocess.run([str(swebench), "-c", check, str(published.task_repo)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    found = json.loads(done.stdout)
    assert found == {"problems": [], "ids": sorted(DEMO_ROWS)}


SPECIAL_IDS = """
import pytest

@pytest.mark.parametrize("value", ["a b", "c - d", "e  f", "tab\\there"])
def test_param(value):
    pass

@pytest.mark.xfail(reason="known - bug")
def test_known():
    assert False

@pytest.mark.xfail
def test_known_without_reason():
    assert False
"""


def test_swe_bench_parser_reads_our_ids_from_real_pytest_output(swebench: Path, tmp_path: Path) -> None:
    (tmp_path / "test_special.py").write_text(SPECIAL_IDS)
    ran = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "test_special.py"],
                         cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    ours = parse_log("pytest", ran.stdout)
    assert len(ours) == 6 and all(is_pass(status) for status in ours.values()), ran.stdout
    task = make_instance(1, FAIL_TO_PASS=sorted(ours), PASS_TO_PASS=[], FAIL_TO_FAIL=[], flaky_tests=[])
    fail_to_pass, _ = swebench_lists(task, [ran.stdout])

    read = textwrap.dedent(
        """
        import json, sys
        from swebench.harness.log_parsers import PARSER_REGISTRY
        print(json.dumps(PARSER_REGISTRY["parse_log_pytest_v2"](sys.stdin.read(), None)))
        """
    )
    theirs = json.loads(subprocess.run([str(swebench), "-c", read], input=ran.stdout, capture_output=True,
                                       text=True, check=True).stdout)  # fmt: skip
    # Every id we list is one SWE-bench's parser reads, with a passing status.
    assert {test: theirs.get(test) for test in fail_to_pass} == {
        test: "XFAIL" if "known" in test else "PASSED" for test in fail_to_pass
    }
