"""`--executor ray` on an embedded Ray: the same records as the local executor, and a killed
driver's re-run finishes without redoing what was recorded."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from swegym_build.containment import ContainerLimits
from swegym_build.executors import RayExecutor
from swegym_build.handoff import read_built, read_result, read_versioned
from swegym_build.images.stage import run_build
from swegym_build.labels import TIER_LABEL
from swegym_build.state import StateStore
from swegym_build.testing.registry import LocalRegistry
from swegym_build.validate.runner import container_owner
from swegym_build.validate.stage import ValidateOptions, run_validate
from swegym_build.workspace import Workspace
from tests.conftest import VALIDATION_TIMEOUT

pytestmark = pytest.mark.docker
VERDICT_FIELDS = ("reason", "FAIL_TO_PASS", "PASS_TO_PASS", "PASS_TO_FAIL", "FAIL_TO_FAIL", "flaky_tests")


def _fresh_copy(validated: Workspace, dest: Path) -> Workspace:
    """The validated sample with its validation forgotten: same images, mirrors and versions."""
    shutil.copytree(validated.root, dest)
    with sqlite3.connect(dest / "state.sqlite") as db:
        db.execute("DELETE FROM stage_status WHERE stage = 'validate'")
    shutil.rmtree(dest / "logs" / "validate")
    return Workspace.resolve(dest)


def _verdicts(workspace: Workspace) -> dict[str, tuple]:
    verdicts = {}
    for instance in read_versioned(workspace, None, None):
        result = read_result(workspace, instance.instance_id)
        verdicts[instance.instance_id] = tuple(getattr(result, name, None) for name in VERDICT_FIELDS)
    return verdicts


def test_ray_gives_the_same_records_as_the_local_executor(
    validated_sample: Workspace, tmp_path: Path
) -> None:
    workspace = _fresh_copy(validated_sample, tmp_path / "ws")
    options = ValidateOptions(runs=3, limits=ContainerLimits(timeout=VALIDATION_TIMEOUT))
    import ray

    try:
        summary = run_validate(
            workspace,
            StateStore(workspace.state_db),
            read_versioned(workspace, None, None),
            options,
            RayExecutor(slots=2),
        )
    finally:
        ray.shutdown()

    assert sum(summary.outcomes.values()) == 7
    assert _verdicts(workspace) == _verdicts(validated_sample)
    assert workspace.validated_file("swegym-demo/calculator").read_text() == (
        validated_sample.validated_file("swegym-demo/calculator").read_text()
    )


def test_killed_ray_driver_resumes_without_redoing_finished_instances(
    validated_sample: Workspace, tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    workspace = _fresh_copy(validated_sample, tmp_path / "ws")
    command = [
        sys.executable,
        "-m",
        "swegym_build",
        "validate",
        "--executor",
        "ray",
        "--workers",
        "2",
        "--timeout",
        str(VALIDATION_TIMEOUT),
        "--workdir",
        str(workspace.root),
    ]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    driver = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    recorded: dict[str, int] = {}
    while time.monotonic() < deadline and len(recorded) < 2:
        time.sleep(0.5)
        recorded = {r.instance_id: r.attempts for r in StateStore(workspace.state_db).records("validate")}
    # kill -9 the driver and the Ray processes it started; containers in flight end by themselves.
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    assert 2 <= len(recorded) < 7, recorded
    _remove_containers_of(docker_client, driver.pid)

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)

    assert rerun.returncode == 0, rerun.stderr[-2000:]
    final = {r.instance_id: r.attempts for r in StateStore(workspace.state_db).records("validate")}
    assert len(final) == 7
    assert all(final[instance_id] == attempts for instance_id, attempts in recorded.items())  # not redone
    assert f"{len(recorded)} instances were already judged" in rerun.stderr
    assert _verdicts(workspace) == _verdicts(validated_sample)


def test_build_fans_out_on_ray(
    built_sample: Workspace, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    workspace = Workspace.resolve(shutil.copytree(built_sample.root, tmp_path / "ws"))
    state = StateStore(workspace.state_db)
    # Inputs of their own (an extra env var in the spec entry): new env and instance images, so
    # the images other tests share are left alone.
    instances = [
        dataclasses.replace(i, install_config={**(i.install_config or {}), "env": {"SWEGYM_RAY_TEST": "1"}})
        for i in read_versioned(workspace, None, None)
        if i.version == "0.1"
    ]
    import ray

    try:
        summary = run_build(docker_client, workspace, state, instances, executor=RayExecutor(slots=2))
        again = run_build(docker_client, workspace, state, instances, executor=RayExecutor(slots=2))
    finally:
        ray.shutdown()
    ours = {i.instance_id for i in instances}
    built = [record.image for instance_id, record in read_built(workspace).items() if instance_id in ours]
    for tag in [*built, *summary.env_images]:
        docker_client.images.remove(tag, force=True)

    assert summary.outcomes == {"kept": 2}
    assert summary.built["instance"] == 2 and summary.built["env"] == 1
    assert again.nothing_built and again.reused["instance"] == 2


def test_a_node_without_the_image_pulls_it_through_the_registry(
    built_sample: Workspace, docker_client: docker.DockerClient, registry: LocalRegistry, tmp_path: Path
) -> None:
    workspace = Workspace.resolve(shutil.copytree(built_sample.root, tmp_path / "ws"))
    state = StateStore(workspace.state_db)
    # Inputs of its own (an extra env var): the image it removes is no other test's, since the
    # tests run in parallel and the sample's images are shared on the engine.
    instances = [
        dataclasses.replace(i, install_config={**(i.install_config or {}), "env": {"SWEGYM_PULL_TEST": "1"}})
        for i in read_versioned(workspace, None, ["swegym-demo__calculator-2"])
    ]
    built = run_build(docker_client, workspace, state, instances, registry=registry.address)
    assert built.outcomes == {"kept": 1}
    record = read_built(workspace)["swegym-demo__calculator-2"]
    image = record.image
    assert image != read_built(built_sample)["swegym-demo__calculator-2"].image
    image_id = docker_client.images.get(image).id
    # This engine now stands for a node that never built the image.
    docker_client.images.remove(image_id, force=True)
    import ray

    try:
        options = ValidateOptions(
            runs=1, limits=ContainerLimits(timeout=VALIDATION_TIMEOUT), registry=registry.address
        )
        summary = run_validate(workspace, state, instances, options, RayExecutor(slots=1))
    finally:
        ray.shutdown()

    assert summary.outcomes == {"kept": 1}
    assert docker_client.images.get(image).id == image_id  # the same image, back from the registry
    for tag in (image, record.env_image):
        docker_client.images.remove(tag, force=True)


def _remove_containers_of(client: docker.DockerClient, session: int) -> None:
    """Remove the validate containers the killed run left: those whose owner is gone or still runs
    in its session (a Ray process that outlived the kill), not those of runs in other sessions
    (another test worker's) on the same engine."""
    # A container in flight may end (and go) between the listing and its inspection or removal.
    left = client.containers.list(all=True, filters={"label": f"{TIER_LABEL}=validate"}, ignore_removed=True)
    for container in left:
        owner = container_owner(container.labels)
        try:
            ours = owner is None or os.getsid(owner[1]) == session
        except ProcessLookupError:
            ours = True
        if ours:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
