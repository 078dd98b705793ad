"""Measure the base tier: rootfs bootstrap, import, cold and warm base builds, image sizes.

    python benchmarks/base_image.py                 # what exists now (warm numbers, sizes)
    python benchmarks/base_image.py --cold          # remove this machine's rootfs and base images
                                                    # of the chosen versions first, then rebuild
    python benchmarks/base_image.py --python 3.9 3.11 3.13 --cold

`--cold` deletes the cached rootfs tarballs and the images of the chosen versions (and leaves the
machine warm again afterwards); the uv binary stays cached since it is not part of the base tier's
cost on a machine that already built once.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import docker
import docker.errors

from swegym_build.cache import CACHE_DIR_ENV, cache_dir
from swegym_build.dockerio import engine_client
from swegym_build.images import ensure_base_image
from swegym_build.images.rootfs import ensure_rootfs_image, ensure_rootfs_tarball, rootfs_tag
from swegym_build.labels import OWNER_LABEL, TIER_LABEL
from swegym_build.pythons.provider import ProvidedPython, provide_python
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.workspace import Workspace

T = TypeVar("T")


def _forget(client: docker.DockerClient, suite: str, cache: Path) -> None:
    """Remove the rootfs tarball and every rootfs/base image of `suite` this tool made."""
    owned = client.images.list(filters={"label": [f"{OWNER_LABEL}=1", f"swegym-build.debian-suite={suite}"]})
    # Children first: the engine refuses to remove an image that others are built on.
    for image in sorted(owned, key=lambda image: image.labels.get(TIER_LABEL) == "rootfs"):
        client.images.remove(image.id, force=True)
    for name in (f"{suite}.tar", f"{suite}.json"):
        (cache / "rootfs" / name).unlink(missing_ok=True)


def _timed(label: str, func: Callable[[], T]) -> T:
    started = time.monotonic()
    result = func()
    seconds = time.monotonic() - started
    print(f"  {label:<42} {seconds:8.1f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", nargs="+", default=["3.11"], help="versions to measure (one image each)")
    parser.add_argument("--cold", action="store_true", help="remove the cached rootfs and images first")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="workspace (default: $SWEGYM_WORKDIR or data/)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    client = engine_client()
    workdir = Workspace.resolve(args.workdir).root
    cache = cache_dir(workdir)
    print(f"cache: {cache} (${CACHE_DIR_ENV} moves it)")
    for version in args.python:
        provided = provide_python(version, cache, PythonDownloads.from_env())
        if not isinstance(provided, ProvidedPython):
            print(provided)
            continue
        release = provided.release
        print(f"Python {version}: {provided.description}")
        if args.cold:
            _forget(client, release.suite, cache)
        tarball = _timed(
            "rootfs tarball (debootstrap+slim+tar)", lambda r=release: ensure_rootfs_tarball(r, cache)
        )
        print(f"  {'    (when it was bootstrapped)':<42} {tarball.bootstrap_seconds:8.1f} s")
        rootfs = _timed(
            "rootfs image (docker import)", lambda r=release: ensure_rootfs_image(client, r, cache)
        )
        first = _timed("base image, first call", lambda v=version: ensure_base_image(client, [v], workdir))
        second = _timed(
            "base image, second call (warm)", lambda v=version: ensure_base_image(client, [v], workdir)
        )
        assert second.built is False and second.image_id == first.image_id
        rootfs_size = client.images.get(rootfs_tag(release)).attrs["Size"]
        print(f"  first call built the image: {first.built}  (rootfs imported now: {rootfs.created})")
        print(
            f"  tarball {tarball.path.stat().st_size / 1e6:.0f} MB, rootfs image {rootfs_size / 1e6:.0f} MB,"
        )
        print(f"  base image {first.size_bytes / 1e6:.0f} MB  {first.tag}")


if __name__ == "__main__":
    main()
