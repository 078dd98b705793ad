"""The build stage on the real engine: three tiers for the sample world."""

from __future__ import annotations

import dataclasses
import subprocess

import docker
import pytest

from swegym_build.handoff import read_built, read_versioned
from swegym_build.images.stage import run_build
from swegym_build.state import StateStore
from swegym_build.testing.nofuture import dump, future_in_built_images
from swegym_build.workspace import Workspace

pytestmark = pytest.mark.docker
REPO = "swegym-demo/calculator"


def _images(workspace: Workspace) -> dict[str, dict]:
    return {instance_id: record.to_dict() for instance_id, record in read_built(workspace).items()}


def _run(client: docker.DockerClient, image: str, script: str) -> str:
    output = client.containers.run(image, ["bash", "-c", script], network_mode="none", remove=True)
    return output.decode()


def test_every_sample_instance_has_an_image_with_a_small_layer_of_its_own(built_sample: Workspace) -> None:
    images = _images(built_sample)
    assert len(images) == 7
    # Each instance image adds one layer to its version's env image; for the sample it is tiny.
    assert all(0 <= detail["marginal_bytes"] < 5_000_000 for detail in images.values())
    assert len({detail["env_image"] for detail in images.values()}) == 2  # versions 0.1 and 0.2


def test_env_and_instance_images_open_in_the_repository(
    built_sample: Workspace, docker_client: docker.DockerClient
) -> None:
    # `docker run IMAGE` and harnesses that do not `cd` start in /testbed (set by the commits)
    images = _images(built_sample).values()
    for image in {detail["image"] for detail in images} | {detail["env_image"] for detail in images}:
        assert _run(docker_client, image, "pwd").strip() == "/testbed", image


def test_instance_image_holds_the_base_tree_and_no_future(
    built_sample: Workspace, docker_client: docker.DockerClient
) -> None:
    mirror = built_sample.mirror_dir(REPO)
    images = _images(built_sample)
    for instance in read_versioned(built_sample, None, None):
        report = _run(docker_client, images[instance.instance_id]["image"],
                      "cd /testbed && git rev-parse HEAD^{tree} && git log --all --format=%H | wc -l"
                      " && git tag | wc -l && git status --porcelain | wc -l"
                      " && git cat-file --batch-all-objects --batch-check='%(objectname)'")  # fmt: skip
        tree, commits, tags, dirty, *objects = report.split()
        base_tree = subprocess.run(["git", "rev-parse", f"{instance.base_commit}^{{tree}}"], cwd=mirror,
                                   capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        assert (tree, commits, tags, dirty) == (base_tree, "1", "0", "0"), instance.instance_id
        # No object of the PR's head (the fix) is in the image: e.g. ops.py as the PR left it.
        head = subprocess.run(["git", "rev-parse", f"refs/pull/{instance.pull_number}/head"], cwd=mirror,
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        fixed_blobs = subprocess.run(
            ["git", "diff", "--raw", "--no-abbrev", instance.base_commit, head],
            cwd=mirror, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        new_blobs = {line.split()[3] for line in fixed_blobs.splitlines() if line.startswith(":")}
        assert not new_blobs & set(objects), instance.instance_id


def test_no_layer_config_or_script_of_an_instance_image_comes_from_after_its_base(
    built_sample: Workspace, docker_client: docker.DockerClient
) -> None:
    """`docker save` of each image: every layer's tree files, the labels and the setup scripts."""
    found = future_in_built_images(docker_client, built_sample, REPO)
    assert sorted(found) == sorted(i.instance_id for i in read_versioned(built_sample, None, None))
    for instance_id, future in found.items():
        assert future.empty, f"{instance_id}: {dump(future)}"


def test_the_project_is_installed_and_its_tests_run_without_network(
    built_sample: Workspace, docker_client: docker.DockerClient
) -> None:
    image = _images(built_sample)["swegym-demo__calculator-2"]["image"]
    script = (
        "cd /testbed && python -c 'import calculator; print(calculator.__version__)'"
        " && python -m pytest -q tests/test_ops.py 2>&1 | tail -1"
    )
    output = _run(docker_client, image, script)
    assert output.splitlines()[0] == "0.1.0"
    assert "3 passed" in output


def test_a_second_build_is_a_no_op(built_sample: Workspace, docker_client: docker.DockerClient) -> None:
    before = _images(built_sample)
    summary = run_build(docker_client, built_sample, StateStore(built_sample.state_db),
                        read_versioned(built_sample, None, None))  # fmt: skip
    assert summary.nothing_built
    assert summary.reused == {"base": 2, "env": 2, "instance": 7}
    assert {k: v["image_id"] for k, v in _images(built_sample).items()} == {
        k: v["image_id"] for k, v in before.items()
    }


def test_broken_spec_fails_with_its_reason_while_other_images_build(
    built_sample: Workspace, docker_client: docker.DockerClient
) -> None:
    instances = read_versioned(built_sample, None, None)
    good = instances[0]
    config = dict(good.install_config or {})
    broken = dataclasses.replace(
        instances[1], instance_id="swegym-demo__calculator-901", version="9.1",
        install_config={**config, "install": ["echo installing; exit 3"]},
    )  # fmt: skip
    no_python = dataclasses.replace(
        instances[2], instance_id="swegym-demo__calculator-902", version="9.2",
        install_config={**config, "python": "3.7"},
    )  # fmt: skip
    state = StateStore(built_sample.state_db)

    summary = run_build(docker_client, built_sample, state, [good, broken, no_python])

    assert summary.outcomes == {"kept": 1, "env_build_failed": 1, "base_build_failed": 1}
    failed = {r.instance_id: r for r in state.records("build") if r.status == "failed"}
    assert "exited with" in failed["swegym-demo__calculator-901"].detail or "returned a non-zero code" in (
        failed["swegym-demo__calculator-901"].detail
    )
    assert "installing" in failed["swegym-demo__calculator-901"].detail  # the log's tail is there
    assert "3.7" in failed["swegym-demo__calculator-902"].detail
