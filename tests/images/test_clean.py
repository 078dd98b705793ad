"""`swegym-build clean --repo`: one repository's images go, with the containers made from them;
another repository's images and what no label names stay."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from swegym_build.images.clean import remove_built
from swegym_build.labels import tier_labels

pytestmark = pytest.mark.docker


def _image(client: docker.DockerClient, folder: Path, tag: str, labels: dict[str, str]) -> str:
    """A one-file image from scratch (nothing to pull), its labels set by the build."""
    folder.mkdir()
    (folder / "payload").write_text(tag)
    (folder / "Dockerfile").write_text("FROM scratch\nCOPY payload /payload\n")
    image, _ = client.images.build(path=str(folder), tag=tag, labels=labels, rm=True)
    return str(image.id)


@pytest.fixture
def images(docker_client: docker.DockerClient, tmp_path: Path) -> Iterator[dict[str, str]]:
    run = uuid.uuid4().hex[:8]
    mine, other = f"acme-{run}/mine", f"acme-{run}/other"
    made = {
        "instance": _image(docker_client, tmp_path / "i", f"clean-test-instance:{run}",
                           tier_labels("instance", instance_id=f"acme-{run}__mine-1", repo=mine)),
        "env": _image(docker_client, tmp_path / "e", f"clean-test-env:{run}", tier_labels("env", repo=mine)),
        "other": _image(docker_client, tmp_path / "o", f"clean-test-other:{run}",
                        tier_labels("instance", instance_id=f"acme-{run}__other-1", repo=other)),
        "unlabelled": _image(docker_client, tmp_path / "u", f"clean-test-unlabelled:{run}", {}),
    }  # fmt: skip
    yield {"mine": mine, "other": other, **made}
    for image_id in made.values():
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(image_id, force=True)


def _exists(client: docker.DockerClient, image_id: str) -> bool:
    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_clean_repo_removes_that_repositorys_images_and_their_containers(
    docker_client: docker.DockerClient, images: dict[str, str]
) -> None:
    # A validate container carries no repo label: it must go because of the image it was made from.
    container = docker_client.containers.create(images["instance"], command=["/payload"],
                                                labels=tier_labels("validate", instance_id="x"))  # fmt: skip

    removed = remove_built(docker_client, None, images["mine"])

    assert (removed.images, removed.containers) == (2, 1)
    assert removed.bytes > 0
    assert not _exists(docker_client, images["instance"]) and not _exists(docker_client, images["env"])
    with pytest.raises(docker.errors.NotFound):
        container.reload()
    assert _exists(docker_client, images["other"]) and _exists(docker_client, images["unlabelled"])


def test_clean_repo_with_a_tier_removes_only_that_tier(
    docker_client: docker.DockerClient, images: dict[str, str]
) -> None:
    removed = remove_built(docker_client, ["env"], images["mine"])

    assert removed.images == 1
    assert not _exists(docker_client, images["env"]) and _exists(docker_client, images["instance"])


def test_clean_repo_refuses_a_shared_tier_before_removing_anything(images: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "swegym_build", "clean", "--repo", images["mine"], "--tier", "base"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )

    assert result.returncode == 2
    assert "base images are shared by every repository" in result.stderr
    assert "--repo removes env and instance images only" in result.stderr
