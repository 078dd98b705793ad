"""The `uv` binary that base images carry for dependency installs with a date cutoff.

uv is published on PyPI as a wheel holding a static binary. It is fetched on the host with pip (so
the host's index, proxy and certificate settings apply), unpacked once into the cache and copied
into the image: nothing inside the build has to reach PyPI, and every Debian release gets the
same, pinned uv.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from swegym_build.cache import file_lock
from swegym_build.errors import BuildError

log = logging.getLogger(__name__)

# Pinned so an image's tag (which includes it) names exactly the uv inside; bump deliberately.
UV_VERSION = "0.13.9"
UV_EXECUTABLES = ("uv", "uvx")


def fetch_uv(cache: Path, arch: str, version: str = UV_VERSION) -> Path:
    """Return a folder holding the `uv` and `uvx` executables of `version` for `arch` (engine's arch).

    Downloads the manylinux wheel with pip on first use; raises BuildError when it cannot.
    """
    folder = cache / "uv" / f"{version}-{arch}"
    if all((folder / name).exists() for name in UV_EXECUTABLES):
        return folder
    with file_lock(cache / "uv" / f"{version}-{arch}.lock"):
        if all((folder / name).exists() for name in UV_EXECUTABLES):
            return folder
        with tempfile.TemporaryDirectory(dir=cache / "uv") as scratch:
            wheel = _download_wheel(version, arch, Path(scratch))
            unpacked = Path(scratch) / "bin"
            unpacked.mkdir()
            with zipfile.ZipFile(wheel) as archive:
                for name in UV_EXECUTABLES:
                    target = unpacked / name
                    target.write_bytes(archive.read(f"uv-{version}.data/scripts/{name}"))
                    target.chmod(0o755)
            unpacked.replace(folder)
    log.info("uv %s for %s unpacked into %s", version, arch, folder)
    return folder


def _download_wheel(version: str, arch: str, dest: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--platform", f"manylinux_2_17_{arch}", f"uv=={version}", "--dest", str(dest),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(dest.glob(f"uv-{version}-*.whl"))
    if result.returncode != 0 or not wheels:
        raise BuildError(
            f"could not download the uv {version} wheel for {arch} from PyPI with pip "
            f"(is pip installed in {sys.executable}'s environment?): {result.stderr.strip()[-800:]}"
        )
    return wheels[0]
