"""uv-managed CPython builds (python-build-standalone), fetched on the host into the cache.

`uv python install X.Y` downloads a relocatable `install_only` build: from uv's default location
on a machine with internet, or from a mirror (`SWEGYM_PYTHON_MIRROR`, given to uv as
`UV_PYTHON_INSTALL_MIRROR`, which replaces the
`https://github.com/astral-sh/python-build-standalone/releases/download` prefix of every URL).
uv checks each archive against the sha256 it ships in its own download list; a mirror of builds
that list does not know (a site's own builds) also names a download list
(`SWEGYM_PYTHON_DOWNLOADS_JSON`, uv's `UV_PYTHON_DOWNLOADS_JSON_URL`) with their checksums.

The fetch runs on the host, so the host's network, proxy and certificates apply and a mirror on
127.0.0.1 works; the unpacked build is copied into the base image, whose build needs no network.
Both results are kept for the process: a machine with no download host learns it once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from swegym_build.cache import file_lock
from swegym_build.pythons.uv_binary import fetch_uv

log = logging.getLogger(__name__)

MIRROR_ENV = "SWEGYM_PYTHON_MIRROR"
# `--python-mirror off`: no uv-managed builds, only the Debian provider (no download attempts).
MIRROR_OFF = "off"
DOWNLOADS_JSON_ENV = "SWEGYM_PYTHON_DOWNLOADS_JSON"
INSTALL_TIMEOUT_S = 600


@dataclass(frozen=True)
class PythonDownloads:
    """Where uv may download CPython builds from (None: uv's defaults)."""

    mirror: str | None = None
    downloads_json: str | None = None

    @classmethod
    def from_env(cls, mirror: str | None = None) -> PythonDownloads:
        """`mirror` if given, else `$SWEGYM_PYTHON_MIRROR`; the download list from the environment."""
        return cls(
            mirror=mirror or os.environ.get(MIRROR_ENV) or None,
            downloads_json=os.environ.get(DOWNLOADS_JSON_ENV) or None,
        )

    def uv_env(self) -> dict[str, str]:
        env = {"UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "manual"}
        if self.mirror:
            env["UV_PYTHON_INSTALL_MIRROR"] = self.mirror.rstrip("/")
        if self.downloads_json:
            env["UV_PYTHON_DOWNLOADS_JSON_URL"] = self.downloads_json
        return env

    @property
    def where(self) -> str:
        return f"mirror {self.mirror}" if self.mirror else "uv's default download location"


@dataclass(frozen=True)
class ManagedPython:
    """An unpacked uv-managed build in the cache."""

    version: str  # 3.X
    name: str  # uv's key, e.g. cpython-3.12.1-linux-x86_64-gnu
    path: Path  # the folder holding bin/, lib/, include/
    fingerprint: str  # what part of the base image's tag stands for its content

    @property
    def executable(self) -> Path:
        return self.path / "bin" / f"python{self.version}"


# (version, cache, downloads) -> the build, or why it cannot be had
_RESULTS: dict[tuple[str, Path, PythonDownloads], ManagedPython | str] = {}


def managed_python(version: str, cache: Path, downloads: PythonDownloads) -> ManagedPython | str:
    """The uv-managed CPython `version` (3.X), installed into the cache if needed; or why not."""
    if downloads.mirror == MIRROR_OFF:
        return "uv-managed builds are turned off (--python-mirror off)"
    key = (version, cache, downloads)
    if key not in _RESULTS:
        _RESULTS[key] = _install(version, cache, downloads)
    return _RESULTS[key]


def _install(version: str, cache: Path, downloads: PythonDownloads) -> ManagedPython | str:
    source = hashlib.sha256(repr((downloads.mirror, downloads.downloads_json)).encode()).hexdigest()[:12]
    root = cache / "python" / source
    with file_lock(cache / "python" / f"{source}.lock"):
        found = _installed(root, version)
        if found is not None:
            return found
        try:
            uv = fetch_uv(cache, platform.machine()) / "uv"
        except Exception as error:  # any failure to get uv means "uv cannot provide it"
            return f"the uv binary is not available ({error})"
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix=".tmp-") as scratch:
            command = [str(uv), "python", "install", version, "--no-bin", "--no-registry",
                       "--install-dir", scratch]  # fmt: skip
            env = {**os.environ, **downloads.uv_env()}
            try:
                result = subprocess.run(
                    command, capture_output=True, text=True, env=env, timeout=INSTALL_TIMEOUT_S, check=False
                )
            except subprocess.TimeoutExpired:
                return f"`uv python install {version}` from {downloads.where} timed out"
            if result.returncode != 0:
                lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
                reason = "; ".join(lines[-3:]) or f"exit {result.returncode}"
                log.info("uv python install %s from %s failed: %s", version, downloads.where, reason)
                return f"`uv python install {version}` from {downloads.where} failed: {reason}"
            for folder in sorted(Path(scratch).iterdir()):
                # uv also makes a `cpython-3.X-...` link to the patch release: keep the real folder.
                if folder.is_dir() and not folder.is_symlink() and not folder.name.startswith("."):
                    target = root / folder.name
                    if target.exists():
                        shutil.rmtree(target)
                    folder.rename(target)
        found = _installed(root, version)
        if found is None:
            return f"`uv python install {version}` from {downloads.where} left no python{version}"
        log.info("uv-managed %s installed into %s", found.name, found.path)
        return found


def _installed(root: Path, version: str) -> ManagedPython | None:
    if not root.is_dir():
        return None
    candidates = [
        folder
        for folder in root.glob(f"cpython-{version}.*")
        if folder.is_dir() and (folder / "bin" / f"python{version}").exists()
    ]
    if not candidates:
        return None
    # The newest patch release, if several were installed over time.
    folder = max(
        candidates, key=lambda f: tuple(int(p) for p in f.name.split("-")[1].split(".") if p.isdigit())
    )
    return ManagedPython(version, folder.name, folder, _fingerprint(folder))


def _fingerprint(folder: Path) -> str:
    """A digest of the build's file list, sizes and interpreter binary: cheap, and changes with it."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(f"{path.relative_to(folder)}\0{path.stat().st_size}\0".encode())
    for binary in sorted((folder / "bin").glob("python3*")):
        if binary.is_file() and not binary.is_symlink():
            digest.update(binary.read_bytes())
    return digest.hexdigest()
