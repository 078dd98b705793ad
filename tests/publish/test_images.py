"""Image names, and pushing instance images to a real registry on loopback and pulling them back."""

from __future__ import annotations

import io
import tarfile
import urllib.request
import uuid
from collections.abc import Iterator

import docker
import docker.errors
import pytest

from swegym_build.errors import PublishError
from swegym_build.publish import image_name_for, push_images, with_image_names
from swegym_build.testing.registry import LocalRegistry, _free_port
from tests.publish.helpers import make_instance


@pytest.mark.parametrize(
    ("instance_id", "namespace", "separator", "expected"),
    [
        ("getmoto__moto-1234", "swegym", "_1776_", "swegym/sweb.eval.x86_64.getmoto_1776_moto-1234"),
        (
            "Project-MONAI__MONAI-42",
            "SWEGym",
            "_1776_",
            "swegym/sweb.eval.x86_64.project-monai_1776_monai-42",
        ),
        ("pandas-dev__pandas-7", "ns", "_s_", "ns/sweb.eval.x86_64.pandas-dev_s_pandas-7"),
    ],
)
def test_image_names_follow_swe_bench(
    instance_id: str, namespace: str, separator: str, expected: str
) -> None:
    assert image_name_for(instance_id, namespace, separator) == expected


@pytest.mark.parametrize("namespace", ["bad namespace", "ns/", "-ns", ""])
def test_a_name_docker_refuses_is_an_error(namespace: str) -> None:
    with pytest.raises(PublishError, match=r"owner__name-1: .* is not a valid docker image name"):
        image_name_for("owner__name-1", namespace)


def test_rows_get_the_pushed_names() -> None:
    tasks = [make_instance(1, image_name=None), make_instance(2, image_name=None)]
    names = {task.instance_id: f"reg/{task.instance_id}:latest" for task in tasks}
    named = with_image_names(tasks, names)
    assert [task.image_name for task in named] == list(names.values())
    assert tasks[0].image_name is None
    with pytest.raises(PublishError, match="swegym-demo__calculator-2: no image was pushed"):
        with_image_names(tasks, {tasks[0].instance_id: "x"})


def tiny_image_tar(content: bytes) -> bytes:
    """A root filesystem with one file, built here: `docker import` needs no pull."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("task.txt")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.fixture
def local_images(docker_client: docker.DockerClient) -> Iterator[list[tuple[str, str, bytes]]]:
    """Two local instance images: (reference, instance_id, the content of their one file)."""
    run = uuid.uuid4().hex[:8]
    made = []
    for number in (1, 2):
        content = f"instance {number} of run {run}\n".encode()
        reference = f"swegym-test-instance-{run}-{number}:local"
        repository, tag = reference.split(":")
        docker_client.api.import_image_from_data(tiny_image_tar(content), repository=repository, tag=tag)
        made.append((reference, f"Owner__Repo-{run}{number}", content))
    yield made
    for image in docker_client.images.list():
        for tag in image.tags:
            if run in tag:
                docker_client.images.remove(tag, force=True)


def file_in_image(client: docker.DockerClient, reference: str, path: str) -> bytes:
    """Read a file out of an image without running it (the image has no shell)."""
    container = client.containers.create(reference, command=["/none"])
    try:
        stream, _ = container.get_archive(path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            member = archive.extractfile(archive.getmembers()[0])
            assert member is not None
            return member.read()
    finally:
        container.remove(force=True)


def registry_digest(registry: LocalRegistry, repository: str) -> str:
    """The manifest digest the registry itself reports for `repository:latest`."""
    name = repository.split("/", 1)[1]
    request = urllib.request.Request(
        f"http://{registry.address}/v2/{name}/manifests/latest",
        method="HEAD",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as response:
        return str(response.headers["Docker-Content-Digest"])


@pytest.mark.docker
def test_pushed_images_pull_back_with_the_same_content(
    docker_client: docker.DockerClient, registry: LocalRegistry, local_images: list[tuple[str, str, bytes]]
) -> None:
    pairs = [(reference, instance_id) for reference, instance_id, _ in local_images]
    originals = {instance_id: docker_client.images.get(ref).id for ref, instance_id in pairs}
    pushed = push_images(docker_client, pairs, "swegym", registry.address, "_1776_")

    for reference, instance_id, content in local_images:
        name = pushed[instance_id]
        assert name == f"{registry.address}/{image_name_for(instance_id, 'swegym')}:latest"
        repository = name.rsplit(":", 1)[0]
        # Forget every local name of the image, then pull it from the registry alone.
        docker_client.images.remove(reference, force=True)
        docker_client.images.remove(name, force=True)
        with pytest.raises(docker.errors.ImageNotFound):
            docker_client.images.get(name)
        pulled = docker_client.images.pull(repository, tag="latest")
        assert pulled.id == originals[instance_id]
        assert f"{repository}@{registry_digest(registry, repository)}" in pulled.attrs["RepoDigests"]
        assert file_in_image(docker_client, name, "/task.txt") == content

    # Rows carry exactly what was pushed.
    tasks = [make_instance(1, instance_id=instance_id, image_name=None) for _, instance_id in pairs]
    assert [task.image_name for task in with_image_names(tasks, pushed)] == [pushed[i] for _, i in pairs]


@pytest.mark.docker
def test_pushing_twice_is_harmless(
    docker_client: docker.DockerClient, registry: LocalRegistry, local_images: list[tuple[str, str, bytes]]
) -> None:
    pairs = [(reference, instance_id) for reference, instance_id, _ in local_images]
    first = push_images(docker_client, pairs, "swegym", registry.address)
    repository = first[pairs[0][1]].rsplit(":", 1)[0]
    digest = registry_digest(registry, repository)
    assert push_images(docker_client, pairs, "swegym", registry.address) == first
    assert registry_digest(registry, repository) == digest


@pytest.mark.docker
def test_a_failed_push_names_the_instance(
    docker_client: docker.DockerClient, local_images: list[tuple[str, str, bytes]]
) -> None:
    reference, instance_id, _ = local_images[0]
    nowhere = f"127.0.0.1:{_free_port()}"
    with pytest.raises(PublishError, match=f"{instance_id}: pushing {nowhere}/swegym/.* failed"):
        push_images(docker_client, [(reference, instance_id)], "swegym", nowhere)


@pytest.mark.docker
def test_a_missing_local_image_names_the_instance(
    docker_client: docker.DockerClient, registry: LocalRegistry
) -> None:
    with pytest.raises(PublishError, match="owner__repo-9: local image 'swegym-test-absent:none' not found"):
        push_images(docker_client, [("swegym-test-absent:none", "owner__repo-9")], "swegym", registry.address)


def test_duplicate_instances_are_refused() -> None:
    with pytest.raises(PublishError, match="owner__repo-1: listed more than once"):
        push_images(None, [("a", "owner__repo-1"), ("b", "owner__repo-1")], "swegym", None)  # type: ignore[arg-type]
