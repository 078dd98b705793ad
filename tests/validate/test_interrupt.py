"""Ctrl-C and leftovers: a stopped run records what finished and leaves no container behind; a
later run removes the containers of runs that died, never those of a live one."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from swegym_build.handoff import append_built, read_built, read_result, read_versioned
from swegym_build.jsonl import read_jsonl, write_jsonl_atomically
from swegym_build.labels import TIER_LABEL, tier_labels
from swegym_build.state import StateStore
from swegym_build.validate.runner import OWNER_KEY, owner_label, remove_orphans
from swegym_build.workspace import Workspace

pytestmark = pytest.mark.docker

BASE = "swegym-demo__calculator-2"
REPO = "swegym-demo/calculator"


def _image(workspace: Workspace) -> str:
    return read_built(workspace)[BASE].image


def test_orphans_of_dead_runs_are_removed_live_ones_kept(
    built_sample: Workspace, docker_client: docker.DockerClient
) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = f"{socket.gethostname()}:{finished.stdout.strip()}:1"
    owners = {"dead": dead, "live": owner_label(), "elsewhere": "another-host:1:1"}
    made = {
        name: docker_client.containers.create(
            _image(built_sample), command=["sleep", "60"], network_mode="none",
            labels=tier_labels("validate", instance_id=f"orphan-test-{name}", **{OWNER_KEY: owner}),
        )
        for name, owner in owners.items()
    }  # fmt: skip
    try:
        assert remove_orphans(docker_client) >= 1
        left = {
            c.id for c in docker_client.containers.list(all=True, filters={"label": f"{TIER_LABEL}=validate"})
        }
        assert made["dead"].id not in left
        assert made["live"].id in left and made["elsewhere"].id in left
    finally:
        for container in made.values():
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


def test_ctrl_c_records_finished_instances_removes_containers_and_exits_130(
    built_sample: Workspace, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    workspace = Workspace.resolve(shutil.copytree(built_sample.root, tmp_path / "ws"))
    state = StateStore(workspace.state_db)
    (base,) = read_versioned(workspace, None, [BASE])
    slow_test = "diff --git a/tests/test_slow.py b/tests/test_slow.py\nnew file mode 100644\n--- /dev/null\n+++ b/tests/test_slow.py\n@@ -0,0 +1,2 @@\n+def test_slow():\n+    __import__('time').sleep(120)\n"  # noqa: E501
    slow = dataclasses.replace(
        base, instance_id="swegym-demo__calculator-interrupted", test_patch=base.test_patch + slow_test
    )
    rows = list(read_jsonl(workspace.versioned_file(REPO)))
    write_jsonl_atomically(workspace.versioned_file(REPO), [*rows, slow.to_dict()])
    append_built(workspace, dataclasses.replace(read_built(workspace)[BASE], instance_id=slow.instance_id))
    state.close()

    cli = str(Path(sys.executable).parent / "swegym-build")
    chosen = ["--instances", BASE, "--instances", slow.instance_id]
    command = [cli, "validate", "--workdir", str(workspace.root), *chosen, "--runs", "1", "--timeout", "300"]
    process = subprocess.Popen(
        command, env={**os.environ, "COLUMNS": "120"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    label = f"swegym-build.instance-id={slow.instance_id}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if read_result(workspace, BASE) and docker_client.containers.list(filters={"label": label}):
            break
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        time.sleep(0.5)
    else:
        pytest.fail("the slow instance never started")
    time.sleep(2)  # inside its slow test
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)

    assert process.returncode == 130, output.decode()
    assert not docker_client.containers.list(all=True, filters={"label": label})
    state = StateStore(workspace.state_db)
    finished = state.get(BASE, "validate")
    assert finished is not None and finished.status == "kept"
    assert state.get(slow.instance_id, "validate") is None  # not judged: the next run does it
    assert BASE in {row["instance_id"] for row in read_jsonl(workspace.validated_file(REPO))}
