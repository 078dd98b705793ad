"""The machine-wide cache of build inputs (root filesystems, the uv binary), shared by workspaces."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

CACHE_DIR_ENV = "SWEGYM_CACHE_DIR"


def cache_dir(workdir: Path) -> Path:
    """`$SWEGYM_CACHE_DIR`, else `<workdir>/cache`; created on first use.

    A fixed cache outside the workspace lets tests and CI bootstrap the root filesystem once per
    machine instead of once per workspace.
    """
    chosen = os.environ.get(CACHE_DIR_ENV)
    root = Path(chosen).expanduser() if chosen else Path(workdir) / "cache"
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` so parallel builds do not bootstrap or build the same thing twice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def engine_lock(name: str) -> AbstractContextManager[None]:
    """A lock for making one image on the Docker engine, held machine-wide: the engine is shared by
    every workspace and cache here, and runs with different caches locking apart imported the same
    root filesystem twice (two ids under one tag, so two base images)."""
    return file_lock(Path(tempfile.gettempdir()) / "swegym-build-locks" / name)
