"""Which Python versions the base tier can provide here, and from where: a chain of providers.

1. uv-managed python-build-standalone builds (`uv python install X.Y`, see `uv_python`): every
   CPython from 3.7 on, from uv's default download location or a mirror. They run on the
   `MANAGED_PYTHON_RELEASE` Debian root filesystem.
2. Debian releases: each ships exactly one CPython as its `python3`, as signed binary packages
   from Debian's archive (reachable where nothing else is). A version picks the release whose
   `python3` it is, and the base image is built on that release's root filesystem.

The first provider that has the version wins; the provider is recorded on the base image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from swegym_build.errors import BuildError
from swegym_build.pythons.uv_python import ManagedPython, PythonDownloads, managed_python


@dataclass(frozen=True)
class DebianRelease:
    """A Debian release used as the OS of a base image, with the CPython it ships."""

    suite: str
    python: str
    # Debian splits parts of the standard library out of `python3.X`; old setup.py-based
    # projects import distutils and lib2to3, so those packages come along where they exist.
    python_extras: tuple[str, ...] = ()
    # testing and unstable are remade several times a day and their Release files expire a week
    # after they are made (stable's do not); see rootfs.sources_list.
    rolling: bool = False

    @property
    def python_packages(self) -> tuple[str, ...]:
        """The apt packages that give a complete interpreter with headers and venv support."""
        v = self.python
        return (f"python{v}", f"python{v}-dev", f"python{v}-venv", "python-is-python3", *self.python_extras)

    def interpreter(self, version: str) -> str:
        """Path of the interpreter for `version` inside an image of this release."""
        return f"/usr/bin/python{version}"


# Releases whose archive is still on Debian's main mirror; older ones (buster: 3.7) moved to
# archive.debian.org, which is not reachable here. 3.14 is the python3 of testing (forky) and of
# unstable (sid), which already carries 3.15 beside it (December 2026); testing is taken: a
# package reaches it only once its transition is complete, and it has -updates and -security
# suites as a stable release does. It is named by its codename, so a cached root stays forky.
DEBIAN_RELEASES: tuple[DebianRelease, ...] = (
    DebianRelease("bullseye", "3.9", ("python3-distutils", "python3-lib2to3")),
    DebianRelease("bookworm", "3.11", ("python3-distutils", "python3-lib2to3")),
    DebianRelease("trixie", "3.13"),
    DebianRelease("forky", "3.14", rolling=True),
)

_BY_VERSION = {release.python: release for release in DEBIAN_RELEASES}
# The OS under uv-managed builds: python-build-standalone needs glibc >= 2.17, and the current
# stable release has the newest headers and libraries that source builds of dependencies link to.
MANAGED_PYTHON_RELEASE = DebianRelease("bookworm", "3.11", ("python3-distutils", "python3-lib2to3"))
# Every CPython minor a spec may name, oldest first (what `nearest` chooses among).
KNOWN_PYTHONS = tuple(f"3.{minor}" for minor in range(7, 15))

# Why the versions SWE-Gym repositories ask for most often are missing, so the error can say so.
_WHY_MISSING = {
    "3.6": "Debian stretch shipped it and is only on archive.debian.org",
    "3.7": "Debian buster shipped it and is only on archive.debian.org",
    "3.8": "no Debian release ever shipped it as python3",
    "3.10": "no Debian release ever shipped it as python3",
    "3.12": "no Debian release ever shipped it as python3",
}


Provider = Literal["uv", "debian"]


@dataclass(frozen=True)
class ProvidedPython:
    """One CPython minor version and the provider that has it."""

    version: str
    provider: Provider
    release: DebianRelease  # the OS of the base image
    managed: ManagedPython | None = None  # the uv-managed build, for provider "uv"

    @property
    def interpreter(self) -> str:
        """Its path inside the base image."""
        if self.managed is not None:
            return f"/usr/local/bin/python{self.version}"
        return self.release.interpreter(self.version)

    @property
    def description(self) -> str:
        if self.managed is not None:
            return f"uv-managed {self.managed.name} (python-build-standalone) on Debian {self.release.suite}"
        return f"Debian {self.release.suite} package python{self.version} (signed apt archive)"


def provide_python(version: str, cache: Path, downloads: PythonDownloads) -> ProvidedPython | str:
    """The first provider that has CPython `version`, or why none has it (one line per provider)."""
    wanted = python_minor(version)
    managed = managed_python(wanted, cache, downloads)
    if isinstance(managed, ManagedPython):
        return ProvidedPython(wanted, "uv", MANAGED_PYTHON_RELEASE, managed)
    if wanted in _BY_VERSION:
        return ProvidedPython(wanted, "debian", _BY_VERSION[wanted])
    why = _WHY_MISSING.get(wanted, "no reachable Debian release ships it")
    debian = ", ".join(f"{v} ({r.suite})" for v, r in _BY_VERSION.items())
    return f"Python {wanted}: uv: {managed}; Debian: {why} (Debian has {debian})"


def base_release_for(version: str) -> DebianRelease:
    """The Debian release under a base image for `version`: the one whose python3 it is, else the
    release uv-managed builds run on."""
    return _BY_VERSION.get(python_minor(version), MANAGED_PYTHON_RELEASE)


def python_versions_available() -> dict[str, str]:
    """Map each Python version the Debian provider can give to how it is provided."""
    return {
        release.python: f"Debian {release.suite} package python{release.python} (signed apt archive)"
        for release in DEBIAN_RELEASES
    }


def python_minor(version: str) -> str:
    """`3.11.4`, `python3.11` or `3.11` -> `3.11`; anything else is a BuildError."""
    text = version.strip().removeprefix("python")
    parts = text.split(".")
    if len(parts) < 2 or not all(part.isdigit() for part in parts[:2]):
        raise BuildError(f"Python version {version!r} is not of the form 3.X")
    return f"{int(parts[0])}.{int(parts[1])}"
