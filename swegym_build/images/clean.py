"""`swegym-build clean`: remove what this tool built, found by its labels, and nothing else."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import docker

from swegym_build.labels import OWNER_LABEL, TIER_LABEL

# Children before parents, so no image is still needed by another when it is removed.
TIERS = ("instance", "env", "env-prep", "base", "rootfs")
# A tier that goes with another: an env's prep image is the env tier's first part.
_PART_OF = {"env-prep": "env"}
# The tiers made for one repository (labelled with it); prep, base and rootfs images are shared.
REPO_TIERS = ("instance", "env")
REPO_LABEL = f"{OWNER_LABEL}.repo"


@dataclass(frozen=True)
class Removed:
    containers: int
    images: int
    bytes: int


def shared_tiers(tiers: list[str] | None) -> list[str]:
    """The tiers asked for that no repository owns alone."""
    return [t for t in tiers or () if t not in REPO_TIERS]


def remove_built(
    client: docker.DockerClient, tiers: list[str] | None = None, repo: str | None = None
) -> Removed:
    """Every container and image of `tiers` (default all); with `repo`, only that repository's env
    and instance images and the containers made from them."""
    chosen = [t for t in TIERS if tiers is None or t in tiers or _PART_OF.get(t) in tiers]
    if repo is not None:
        shared = shared_tiers(tiers)
        if shared:
            raise ValueError(f"{', '.join(shared)} images are shared by every repository")
        chosen = [t for t in chosen if t in REPO_TIERS]
    images = [
        image
        for tier in chosen
        for image in client.images.list(
            filters={"label": [f"{TIER_LABEL}={tier}"] + ([f"{REPO_LABEL}={repo}"] if repo else [])}
        )
    ]
    if repo is None:
        containers = client.containers.list(
            all=True, filters={"label": f"{OWNER_LABEL}=1"}, ignore_removed=True
        )
    else:
        # A validate or verify container carries no repo label: it is found by the image it runs.
        containers = [
            container
            for image in images
            for container in client.containers.list(
                all=True, filters={"ancestor": str(image.id)}, ignore_removed=True
            )
        ]
    # A container that ends (auto-removed) between the listing and its removal is no longer ours to remove.
    for container in containers:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
    freed = 0
    for image in images:
        freed += int(image.attrs.get("Size", 0))
        client.images.remove(str(image.id), force=True, noprune=False)
    return Removed(len(containers), len(images), freed)
