"""--keep: images removed once their instance is judged (content-addressed, so `build` restores them)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import docker
import pytest

from swegym_build.containment import ContainerLimits
from swegym_build.dockerio import existing_image
from swegym_build.handoff import read_built, read_versioned
from swegym_build.images.stage import run_build
from swegym_build.state import StateStore
from swegym_build.validate.stage import ValidateOptions, run_validate
from swegym_build.workspace import Workspace

pytestmark = pytest.mark.docker


def test_keep_none_removes_instance_and_env_images_after_judging(
    built_sample: Workspace, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    workspace = Workspace.resolve(shutil.copytree(built_sample.root, tmp_path / "ws"))
    state = StateStore(workspace.state_db)
    # Inputs of its own (an extra env var): images no other test uses.
    (instance,) = read_versioned(workspace, None, ["swegym-demo__calculator-2"])
    instance = dataclasses.replace(instance, install_config={**(instance.install_config or {}),
                                                             "env": {"SWEGYM_KEEP_TEST": "1"}})  # fmt: skip
    built = run_build(docker_client, workspace, state, [instance])
    record = read_built(workspace)[instance.instance_id]
    assert built.outcomes == {"kept": 1} and existing_image(docker_client, record.image) is not None

    options = ValidateOptions(runs=1, limits=ContainerLimits(timeout=120), keep="none")
    summary = run_validate(workspace, state, [instance], options)

    assert summary.outcomes == {"kept": 1}
    assert summary.removed_bytes > 0
    assert existing_image(docker_client, record.image) is None
    assert existing_image(docker_client, record.env_image) is None
