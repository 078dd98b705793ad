"""The dataset as a SWE-bench task repo (`swebench/task/repo.py`), the form SWE-bench keeps datasets in.

    sweb.yaml                 the datasets the repo publishes (ours, and its Lite subset) and splits
    tasks/<instance_id>/
        task.yaml             metadata: ids, version, image, log_parser, eval_type, split, datasets
        tests.json            FAIL_TO_PASS, PASS_TO_PASS (what grades a patch) and our other lists
        problem_statement.md, hints.md (only when there are hints)
        gold.patch, test.patch, eval.sh
        Dockerfile            `FROM` the image we pushed, so SWE-bench's image build names it

`swebench.task.checks` requires `image` to be the name SWE-bench derives from the instance id
(`swebench/sweb.eval.x86_64.<id>:latest`), so task.yaml carries that name and the Dockerfile says
which pushed image it is. Values are the published row's (`to_row`), so the repo and the Parquet
files agree; the output is a pure function of the input, like the rest of the export.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from swegym_build.publish.images import TAG, image_name_for
from swegym_build.publish.lite import lite_verdict
from swegym_build.publish.schema import to_row
from swegym_build.records import TaskInstance

logger = logging.getLogger(__name__)

CONFIG_FILE = "sweb.yaml"
TASKS = "tasks"
TASK_FILE = "task.yaml"
SPLIT = "train"
#: Row columns written as files of their own (as SWE-bench's task repos do), not in task.yaml.
AS_FILE = {
    "patch": "gold.patch",
    "test_patch": "test.patch",
    "eval_script": "eval.sh",
    "problem_statement": "problem_statement.md",
}
HINTS_FILE = "hints.md"
TESTS_FILE = "tests.json"
TEST_LISTS = ("FAIL_TO_PASS", "PASS_TO_PASS", "PASS_TO_FAIL", "FAIL_TO_FAIL", "flaky_tests")
#: The namespace `swebench.task.checks.expected_image` derives image names in.
SWEBENCH_NAMESPACE = "swebench"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, as SWE-bench writes its task files."""


def _literal(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _literal)


def _yaml(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, allow_unicode=True, default_flow_style=False)


def swebench_image_name(instance_id: str) -> str:
    """The image name SWE-bench's task-repo checks derive for an instance."""
    return f"{image_name_for(instance_id, SWEBENCH_NAMESPACE)}:{TAG}"


def lite_dataset(repo_id: str) -> str:
    return f"{repo_id}_Lite"


def write_task_repo(
    instances: Sequence[TaskInstance], folder: Path, repo_id: str, *, lite_split: bool = True
) -> list[str]:
    """Write `instances` (published rows: SWE-bench ids, pushed images) as a task repo in `folder`.

    Every task is in split `train` of dataset `repo_id`, and those passing Lite's rules also in
    `<repo_id>_Lite` (unless `lite_split` is false). Task folders of an earlier export that this one
    does not write are removed. Returns the task folders written, relative to `folder`.
    """
    tasks = sorted(instances, key=lambda task: task.instance_id)
    in_lite = {task.instance_id for task in tasks if lite_split and lite_verdict(task)[0]}
    datasets = [repo_id, *([lite_dataset(repo_id)] if in_lite else [])]
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / CONFIG_FILE, _yaml({"datasets": datasets, "splits": [SPLIT]}))
    written = []
    for task in tasks:
        memberships = [repo_id, *([lite_dataset(repo_id)] if task.instance_id in in_lite else [])]
        written.append(_write_task(folder / TASKS / task.instance_id, task, memberships))
    _remove_stale(folder / TASKS, {task.instance_id for task in tasks})
    logger.info("wrote %d tasks as a SWE-bench task repo in %s", len(tasks), folder)
    return [f"{TASKS}/{task.instance_id}" for task in tasks]


def _write_task(task_dir: Path, task: TaskInstance, datasets: list[str]) -> str:
    row = to_row(task)
    task_dir.mkdir(parents=True, exist_ok=True)
    for column, name in AS_FILE.items():
        _write(task_dir / name, row[column])
    hints = task_dir / HINTS_FILE
    if row["hints_text"]:
        _write(hints, row["hints_text"])
    else:
        hints.unlink(missing_ok=True)
    _write(task_dir / TESTS_FILE, json.dumps({k: json.loads(row[k]) for k in TEST_LISTS}, indent=2,
                                             ensure_ascii=False, sort_keys=True) + "\n")  # fmt: skip
    # hints_text is hints.md; install_config is kept as a mapping, readable in YAML.
    files = {*AS_FILE, *TEST_LISTS, "hints_text"}
    metadata = {k: v for k, v in row.items() if k not in files}
    metadata.update(
        image=swebench_image_name(task.instance_id),
        published_image=row["image"],
        install_config=task.install_config,
        split=SPLIT,
        datasets=datasets,
    )
    _write(task_dir / TASK_FILE, _yaml(metadata))
    _write(task_dir / "Dockerfile", _dockerfile(task.instance_id, row["image"]))
    return task_dir.name


def _dockerfile(instance_id: str, pushed: str) -> str:
    return (
        f"# {instance_id}: the environment and the repository at base_commit, built by swegym-build\n"
        "# and pushed as this image (its tiers' recipes are in the swegym-build repository).\n"
        f"FROM {pushed}\n"
    )


def _write(path: Path, text: str) -> None:
    # newline="": a CRLF inside a patch is written as it is.
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


def _remove_stale(tasks_dir: Path, keep: set[str]) -> None:
    for task_dir in tasks_dir.iterdir():
        if task_dir.is_dir() and task_dir.name not in keep and (task_dir / TASK_FILE).exists():
            shutil.rmtree(task_dir)
