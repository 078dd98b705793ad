"""Which Python versions the base tier can provide here, and from where.

Nothing can be pulled from a container registry, python.org or GitHub on these machines, and no
PyPI package ships a CPython interpreter (the PyPI "installers" such as pbs-installer only hold
GitHub download links). What is reachable and signed is Debian's archive, and each Debian release
ships exactly one CPython as its `python3`. So a requested version picks the Debian release whose
`python3` it is, and the base image is built on a root filesystem of that release: the interpreter
comes as signed binary packages, not compiled, which is the most reproducible route available.
"""

from __future__ import annotations

from dataclasses import dataclass

from swegym_build.errors import BuildError


@dataclass(frozen=True)
class DebianRelease:
    """A Debian release used as the OS of a base image, with the CPython it ships."""

    suite: str
    python: str
    # Debian splits parts of the standard library out of `python3.X`; old setup.py-based
    # projects import distutils and lib2to3, so those packages come along where they exist.
    python_extras: tuple[str, ...] = ()

    @property
    def python_packages(self) -> tuple[str, ...]:
        """The apt packages that give a complete interpreter with headers and venv support."""
        v = self.python
        return (f"python{v}", f"python{v}-dev", f"python{v}-venv", "python-is-python3", *self.python_extras)

    def interpreter(self, version: str) -> str:
        """Path of the interpreter for `version` inside an image of this release."""
        return f"/usr/bin/python{version}"


# Releases whose archive is still on Debian's main mirror; older ones (buster: 3.7) moved to
# archive.debian.org, which is not reachable here.
DEBIAN_RELEASES: tuple[DebianRelease, ...] = (
    DebianRelease("bullseye", "3.9", ("python3-distutils", "python3-lib2to3")),
    DebianRelease("bookworm", "3.11", ("python3-distutils", "python3-lib2to3")),
    DebianRelease("trixie", "3.13"),
)

_BY_VERSION = {release.python: release for release in DEBIAN_RELEASES}

# Why the versions SWE-Gym repositories ask for most often are missing, so the error can say so.
_WHY_MISSING = {
    "3.6": "Debian stretch shipped it and is only on archive.debian.org",
    "3.7": "Debian buster shipped it and is only on archive.debian.org",
    "3.8": "no Debian release ever shipped it as python3",
    "3.10": "no Debian release ever shipped it as python3",
    "3.12": "no Debian release ever shipped it as python3",
}


def python_versions_available() -> dict[str, str]:
    """Map each Python version the base tier can provide to how it is provided."""
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


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def release_for(python_versions: list[str]) -> DebianRelease:
    """The Debian release that provides every requested version.

    Raises BuildError naming the version and why it cannot be provided, or naming the versions
    that would need two different releases.
    """
    if not python_versions:
        raise BuildError("no Python version requested for the base image")
    wanted = sorted({python_minor(v) for v in python_versions}, key=_version_key)
    available = ", ".join(f"{v} ({r.suite})" for v, r in _BY_VERSION.items())
    for version in wanted:
        if version not in _BY_VERSION:
            why = _WHY_MISSING.get(version, "no reachable Debian release ships it")
            raise BuildError(
                f"Python {version} cannot be provided: {why}; python.org, GitHub and Docker Hub are "
                f"unreachable here and no PyPI package ships a CPython interpreter. "
                f"Available: {available}. Pin the spec to one of those versions."
            )
    releases = {_BY_VERSION[v] for v in wanted}
    if len(releases) > 1:
        pairs = ", ".join(f"{r.python} ({r.suite})" for r in sorted(releases, key=lambda r: r.suite))
        raise BuildError(
            f"Python versions {', '.join(wanted)} cannot share one base image: each comes from a "
            f"different Debian release ({pairs}); build one base image per version."
        )
    return releases.pop()
