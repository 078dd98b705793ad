"""The SWE-bench task repo export: its layout, that it holds the published rows, re-exports.

That SWE-bench's own `check_task_repo` accepts it is checked with the real package in
tests/publish/test_swebench_harness.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from swegym_build.publish.schema import to_row
from swegym_build.publish.taskrepo import write_task_repo
from tests.publish.helpers import make_instance

REPO_ID = "acme/tasks"


def test_each_task_is_a_folder_holding_its_published_row(tmp_path: Path) -> None:
    task = make_instance(1, hints_text="Try the negative case.\n")
    written = write_task_repo([task], tmp_path, REPO_ID)

    assert written == ["tasks/swegym-demo__calculator-1"]
    folder = tmp_path / written[0]
    assert sorted(p.name for p in folder.iterdir()) == [
        "Dockerfile", "eval.sh", "gold.patch", "hints.md", "problem_statement.md", "task.yaml",
        "test.patch", "tests.json",
    ]  # fmt: skip
    row = to_row(task)
    assert (folder / "gold.patch").read_text() == task.patch
    assert (folder / "test.patch").read_text() == task.test_patch
    assert (folder / "eval.sh").read_text() == row["eval_script"]
    assert (folder / "problem_statement.md").read_text() == task.problem_statement
    assert (folder / "hints.md").read_text() == task.hints_text
    tests = json.loads((folder / "tests.json").read_text())
    assert tests["FAIL_TO_PASS"] == task.FAIL_TO_PASS and tests["PASS_TO_PASS"] == task.PASS_TO_PASS
    assert tests["flaky_tests"] == task.flaky_tests
    meta = yaml.safe_load((folder / "task.yaml").read_text())
    assert meta["instance_id"] == task.instance_id and meta["base_commit"] == task.base_commit
    assert meta["log_parser"] == "parse_log_pytest_v2" and meta["eval_type"] == "pass_and_fail"
    assert meta["split"] == "train"
    # The image under the name SWE-bench derives; the Dockerfile says which pushed image it is.
    assert meta["image"] == "swebench/sweb.eval.x86_64.swegym-demo_1776_calculator-1:latest"
    assert meta["published_image"] == task.image_name
    assert f"FROM {task.image_name}\n" in (folder / "Dockerfile").read_text()
    assert meta["install_config"] == task.install_config


def test_lite_tasks_also_belong_to_the_lite_dataset(tmp_path: Path) -> None:
    write_task_repo([make_instance(1), make_instance(2, problem_statement="Too short.")], tmp_path, REPO_ID)
    config = yaml.safe_load((tmp_path / "sweb.yaml").read_text())
    assert config == {"datasets": [REPO_ID, f"{REPO_ID}_Lite"], "splits": ["train"]}
    datasets = {
        n: yaml.safe_load((tmp_path / f"tasks/swegym-demo__calculator-{n}/task.yaml").read_text())["datasets"]
        for n in (1, 2)
    }
    assert datasets == {1: [REPO_ID, f"{REPO_ID}_Lite"], 2: [REPO_ID]}


def test_a_re_export_drops_tasks_no_longer_published_and_hints_no_longer_there(tmp_path: Path) -> None:
    write_task_repo([make_instance(1, hints_text="hint"), make_instance(2)], tmp_path, REPO_ID)
    before = (tmp_path / "tasks/swegym-demo__calculator-1/task.yaml").read_bytes()
    write_task_repo([make_instance(1)], tmp_path, REPO_ID)
    assert [p.name for p in (tmp_path / "tasks").iterdir()] == ["swegym-demo__calculator-1"]
    assert not (tmp_path / "tasks/swegym-demo__calculator-1/hints.md").exists()
    # Same task, same bytes: the repo diffs cleanly between exports.
    assert (tmp_path / "tasks/swegym-demo__calculator-1/task.yaml").read_bytes() == before
