"""The Docker engine: one way to connect to it, and moving images through a registry (push a tag
and read the engine's verdict; pull one back)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import docker
from docker.models.images import Image

from swegym_build.errors import BuildError

# Seconds one engine API call may take: committing or removing a multi-GB image on a slow
# filesystem (fuse-overlayfs) takes minutes, and a hung engine must still end in an error.
ENGINE_API_TIMEOUT = 600


def engine_client(check: bool = True) -> docker.DockerClient:
    """A client of the engine that DOCKER_HOST (or the default socket) names.

    With `check`, an unreachable engine is one clear error instead of a traceback later.
    """
    try:
        client = docker.from_env(timeout=ENGINE_API_TIMEOUT)
        if check:
            client.ping()
    except docker.errors.DockerException as error:
        raise BuildError(
            f"cannot reach the Docker engine ({error}); is it running and is DOCKER_HOST right?"
        ) from error
    return client


def existing_image(client: docker.DockerClient, tag: str) -> Image | None:
    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None


def push(client: docker.DockerClient, repository: str, tag: str) -> tuple[str, str | None]:
    """Push `repository:tag`: `(error message or "", digest)`.

    The engine reports a failed push inside the progress stream, with HTTP 200, so the stream must
    be read to the end to know whether the push worked.
    """
    digest = None
    events: Iterable[dict[str, Any]] = client.api.push(repository, tag=tag, stream=True, decode=True)
    for event in events:
        if "error" in event:
            return str(event.get("errorDetail", {}).get("message") or event["error"]), None
        digest = event.get("aux", {}).get("Digest", digest)
    return "", digest


def in_registry(registry: str, local_tag: str) -> str:
    """Where a local tag lives in `registry` (`host:port`): the same name under the registry host."""
    return f"{registry.rstrip('/')}/{local_tag}"


def push_local_tag(client: docker.DockerClient, local_tag: str, registry: str) -> str:
    """Tag `local_tag` into `registry` and push it; return the error message, empty on success."""
    remote = in_registry(registry, local_tag)
    repository, tag = remote.rsplit(":", 1)
    try:
        client.images.get(local_tag).tag(repository, tag=tag)
        return push(client, repository, tag)[0]
    except docker.errors.DockerException as error:
        return str(error)


def pull_local_tag(client: docker.DockerClient, local_tag: str, registry: str) -> None:
    """Bring `local_tag` onto this engine from `registry` (where `push_local_tag` put it)."""
    repository, tag = in_registry(registry, local_tag).rsplit(":", 1)
    image = client.images.pull(repository, tag=tag)
    local_repository, local_name = local_tag.rsplit(":", 1)
    image.tag(local_repository, tag=local_name)
