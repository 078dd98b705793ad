"""`swegym-build demo` as a new user runs it, then the promise it makes checked from the outside:
a loadable dataset folder whose rows name images that exist and pass validation again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import docker
import pytest

from swegym_build.containment import ContainerLimits
from swegym_build.records import TaskInstance
from swegym_build.validate.stage import ValidateJob, validate_job

pytestmark = pytest.mark.docker


def test_demo_ends_with_a_dataset_whose_rows_validate_again(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    workdir = tmp_path / "demo"
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "swegym_build", "demo", "--workdir", str(workdir)],
                            env=env, capture_output=True, text=True, timeout=1500)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "validate (kept)" in result.stderr

    folder = workdir / "out" / "swegym-demo__calculator-tasks"
    rows = datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert len(rows) == 4
    assert len(datasets.load_dataset(str(folder), split="lite", cache_dir=str(tmp_path / "hf-cache"))) == 1
    for row in rows:
        instance = TaskInstance(
            repo=row["repo"], instance_id=row["instance_id"], base_commit=row["base_commit"],
            patch=row["patch"], test_patch=row["test_patch"], problem_statement="", hints_text="",
            created_at="", pull_number=0, issue_numbers=[], install_config=json.loads(row["install_config"]),
        )  # fmt: skip
        verdict = validate_job(ValidateJob(instance, row["image"], 1, ContainerLimits(120))).result
        assert set(json.loads(row["FAIL_TO_PASS"])) <= set(verdict.FAIL_TO_PASS), row["instance_id"]
        assert set(json.loads(row["PASS_TO_PASS"])) <= set(verdict.PASS_TO_PASS), row["instance_id"]
