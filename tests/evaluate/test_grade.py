"""Grading predictions through the real engine: gold resolves, empty does not, tampering is caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from swegym_build.containment import ContainerLimits
from swegym_build.evaluate import grade
from swegym_build.evaluate.stage import run_evaluate
from swegym_build.executors import LocalExecutor, RayExecutor
from swegym_build.handoff import read_built, read_versioned
from swegym_build.workspace import Workspace

pytestmark = pytest.mark.docker

LIMITS = ContainerLimits(timeout=120)
# The sample's documented verdicts (README, `validate`): #2 and #10 are kept with these lists.
LISTS = {
    "swegym-demo__calculator-2": (
        ["tests/test_ops.py::test_divide_by_zero_raises_calculator_error"],
        [
            "tests/test_ops.py::test_add",
            "tests/test_ops.py::test_divide",
            "tests/test_ops.py::test_multiply_ints",
        ],
    ),
    "swegym-demo__calculator-10": (
        ["tests/test_ops.py::test_subtract_order"],
        ["tests/test_ops.py::test_add"],
    ),
}


def _rows(workspace: Workspace) -> dict[str, dict[str, Any]]:
    built = read_built(workspace)
    rows = {}
    for instance in read_versioned(workspace, None, list(LISTS)):
        fail_to_pass, pass_to_pass = LISTS[instance.instance_id]
        rows[instance.instance_id] = {
            **instance.to_dict(),
            "FAIL_TO_PASS": fail_to_pass,
            "PASS_TO_PASS": pass_to_pass,
            "image_name": built[instance.instance_id].image,
        }
    return rows


def test_the_gold_patch_resolves_and_an_empty_one_does_not(built_sample: Workspace) -> None:
    row = _rows(built_sample)["swegym-demo__calculator-2"]
    report = grade(row, row["patch"], limits=LIMITS)
    assert report.resolved and report.reason == "resolved" and report.tampered_tests == []
    assert report.tests_status["FAIL_TO_PASS"] == {"success": row["FAIL_TO_PASS"], "failure": []}
    assert report.tests_status["PASS_TO_PASS"]["failure"] == []
    entry = report.to_swebench()["swegym-demo__calculator-2"]
    assert entry["patch_successfully_applied"] and entry["resolved"] and not entry["patch_is_None"]

    empty = grade(row, "", limits=LIMITS)
    assert not empty.resolved and empty.reason == "empty_patch" and not empty.patch_exists


def test_a_prediction_that_rewrites_the_tests_is_caught_and_graded_on_the_real_ones(
    built_sample: Workspace,
) -> None:
    row = _rows(built_sample)["swegym-demo__calculator-2"]
    # No fix: it replaces the test file (so the failing test is gone) and adds a conftest that
    # turns every failure into a pass. Both are put back before the tests run.
    rewrite = (
        "diff --git a/tests/test_ops.py b/tests/test_ops.py\n"
        "--- a/tests/test_ops.py\n+++ b/tests/test_ops.py\n"
        "@@ -1,3 +1,4 @@\n+# the tests are fine\n import calculator\n \n \n"
    )
    forcing = (
        "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n"
    )
    lines = forcing.rstrip("\n").split("\n")
    conftest = (
        "diff --git a/tests/conftest.py b/tests/conftest.py\nnew file mode 100644\n--- /dev/null\n"
        f"+++ b/tests/conftest.py\n@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{x}\n" for x in lines)
    )
    report = grade(row, rewrite + conftest, limits=LIMITS)
    assert report.tampered_tests == ["tests/test_ops.py", "tests/conftest.py"]
    assert report.patch_successfully_applied and not report.resolved and report.reason == "unresolved"
    assert report.tests_status["FAIL_TO_PASS"]["failure"] == row["FAIL_TO_PASS"]


def test_evaluate_writes_swebench_reports_and_a_summary(built_sample: Workspace, tmp_path: Path) -> None:
    rows = _rows(built_sample)
    dataset = tmp_path / "tasks.jsonl"
    dataset.write_text("".join(json.dumps(row) + "\n" for row in rows.values()))
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text(
        json.dumps(
            {
                "instance_id": "swegym-demo__calculator-2",
                "model_patch": rows["swegym-demo__calculator-2"]["patch"],
                "model_name_or_path": "org/gold",
            }
        )
        + "\n"
        + json.dumps(
            {"instance_id": "swegym-demo__calculator-10", "model_patch": "", "model_name_or_path": "org/gold"}
        )
        + "\n"
    )
    workspace = Workspace.resolve(tmp_path / "ws")

    summary = run_evaluate(workspace, predictions, dataset, limits=LIMITS, executor=LocalExecutor(2))

    folder = workspace.root / "evaluation" / "org__gold"
    totals = json.loads((folder / "summary.json").read_text())
    assert totals["resolved_ids"] == ["swegym-demo__calculator-2"]
    assert totals["empty_patch_ids"] == ["swegym-demo__calculator-10"]
    assert totals["error_ids"] == [] and totals["submitted_instances"] == 2
    report = json.loads((folder / "swegym-demo__calculator-2" / "report.json").read_text())
    assert report["swegym-demo__calculator-2"]["resolved"] is True
    again = run_evaluate(workspace, predictions, dataset, limits=LIMITS)
    assert again.already_done == 2 and summary.ids("resolved") == again.ids("resolved")


def test_evaluate_on_ray_gives_the_local_verdicts(built_sample: Workspace, tmp_path: Path) -> None:
    rows = _rows(built_sample)
    dataset = tmp_path / "tasks.jsonl"
    dataset.write_text("".join(json.dumps(row) + "\n" for row in rows.values()))
    predictions = tmp_path / "preds.jsonl"
    wrong = {"swegym-demo__calculator-2": rows["swegym-demo__calculator-10"]["patch"]}
    predictions.write_text(
        "".join(
            json.dumps(
                {"instance_id": i, "model_patch": wrong.get(i, row["patch"]), "model_name_or_path": "m"}
            )
            + "\n"
            for i, row in rows.items()
        )
    )
    local = run_evaluate(Workspace.resolve(tmp_path / "local"), predictions, dataset, limits=LIMITS)
    on_ray = run_evaluate(
        Workspace.resolve(tmp_path / "ray"),
        predictions,
        dataset,
        limits=LIMITS,
        executor=RayExecutor(slots=2),
    )
    assert on_ray.ids("resolved") == local.ids("resolved") == ["swegym-demo__calculator-10"]
    assert on_ray.ids("unresolved") == local.ids("unresolved") == ["swegym-demo__calculator-2"]
