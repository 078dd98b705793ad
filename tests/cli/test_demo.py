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

from swegym_build.validate.evalscript import render_eval_script
from swegym_build.validate.parsers import parse_log
from swegym_build.validate.runner import ContainerLimits, run_in_container
from swegym_build.validate.verdict import RunStatuses, judge

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
        config = json.loads(row["install_config"])
        script = render_eval_script(config, row["test_patch"], runs=1)
        logs = tmp_path / "again" / row["instance_id"]
        again = run_in_container(docker_client, row["image"], row["instance_id"], script,
                                 row["test_patch"], row["patch"], 1, ContainerLimits(120), logs)  # fmt: skip
        (run,) = again.runs
        assert run.before is not None and run.after is not None
        statuses = RunStatuses(before=parse_log("pytest", run.before.log, run.before.exit_code),
                               after=parse_log("pytest", run.after.log, run.after.exit_code))  # fmt: skip
        verdict = judge([statuses])
        assert set(json.loads(row["FAIL_TO_PASS"])) <= set(verdict.FAIL_TO_PASS), row["instance_id"]
        assert set(json.loads(row["PASS_TO_PASS"])) <= set(verdict.PASS_TO_PASS), row["instance_id"]
