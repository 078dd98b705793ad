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


@dataclass(frozen=True)
class Removed:
    containers: int
    images: int
    bytes: int


def remove_built(client: docker.DockerClient, tiers: list[str] | None = None) -> Removed:
    chosen = [t for t in TIERS if tiers is None or t in tiers or _PART_OF.get(t) in tiers]
    # A container that ends (auto-removed) between the listing and its inspection is no longer ours to remove.
    containers = client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}=1"}, ignore_removed=True)
    for container in containers:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
    images = freed = 0
    for tier in chosen:
        for image in client.images.list(filters={"label": f"{TIER_LABEL}={tier}"}):
            freed += int(image.attrs.get("Size", 0))
            client.images.remove(str(image.id), force=True, noprune=False)
            images += 1
    return Removed(len(containers), images, freed)
