"""Apt package names checked against the Debian release of the base image a draft will use.

The decision has to be the same on every machine, offline: a draft made here and one made on a
laptop must not differ because one of them happened to have an apt index. So what is shipped
decides first: known renames (`enchant` -> `enchant-2`), names no Debian release of ours has
(Ubuntu PPAs' `python3.8-dev`, Python 2 packages after bullseye), and the Debian package-name
syntax (which rejects `$DIST_PREREQ`-like leftovers and options). Only when this machine's apt
index is for the very same release is it consulted on top, and the draft's provenance says so;
an index for another release (the host's) would answer the wrong question, so it is not used.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess

from swegym_build.errors import BuildError
from swegym_build.pythons.provider import base_release_for
from swegym_build.specs.drafting.snapshot import Findings

log = logging.getLogger(__name__)

_DEBIAN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_ALL = ("bullseye", "bookworm", "trixie", "forky")
# (old name, new name, releases where the old one is gone): renames with the same content
_RENAMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("enchant", "enchant-2", _ALL),
    ("libenchant-dev", "libenchant-2-dev", _ALL),
    ("libenchant1c2a", "libenchant-2-2", _ALL),
    ("python-dev", "python3-dev", _ALL),
    ("python-pip", "python3-pip", _ALL),
    ("python-setuptools", "python3-setuptools", _ALL),
    ("python-virtualenv", "python3-virtualenv", _ALL),
    ("python-tk", "python3-tk", _ALL),
    ("libmysqlclient-dev", "default-libmysqlclient-dev", _ALL),
    ("libpng12-dev", "libpng-dev", _ALL),
    ("libjpeg8-dev", "libjpeg-dev", _ALL),
    ("libgdal1-dev", "libgdal-dev", _ALL),
    ("libssl1.0-dev", "libssl-dev", _ALL),
    ("libreadline6-dev", "libreadline-dev", _ALL),
    ("qt5-default", "qtbase5-dev", _ALL),
    ("libtiff5-dev", "libtiff-dev", ("bookworm", "trixie", "forky")),
    ("libgl1-mesa-glx", "libgl1", ("bookworm", "trixie", "forky")),
    ("libncurses5-dev", "libncurses-dev", ("trixie", "forky")),
)
_OPENJDK = re.compile(r"^openjdk-\d+-(jdk|jre)(-headless)?$")
_VERSIONED_PYTHON = re.compile(r"^(?:lib)?python(\d)\.(\d+)(?:-[a-z0-9+.-]+)?$")
_PYTHON2 = re.compile(r"^python(?:2(?:\.7)?)?(?:-[a-z0-9+.-]+)?$|^python2")
_UBUNTU_ONLY = re.compile(r"^(?:ubuntu-|language-pack-)")


def debian_suite(python: str) -> str | None:
    """The Debian release of the base image for `python`, or None when `python` is not a version."""
    try:
        return base_release_for(python).suite
    except BuildError:
        return None


def check_apt_packages(found: Findings, python: str) -> list[str]:
    """`found.apt_packages` valid for the base image of `python`: renamed where known, the rest
    dropped with a warning naming where they came from."""
    suite = debian_suite(python)
    source = found.provenance.get("apt_packages", "apt packages")
    index = _index_names(suite) if suite else None
    if found.apt_packages:
        checked = f"checked against Debian {suite}" if suite else "no Debian release known for this Python"
        how = "shipped renames and this machine's apt index" if index else "shipped renames"
        found.provenance["apt_packages"] = f"{source}; {checked} ({how})"
    kept: list[str] = []
    for name in found.apt_packages:
        mapped = _checked(name.split(":", 1)[0].split("=", 1)[0], suite, python, index, source, found)
        if mapped and mapped not in kept:
            kept.append(mapped)
    return kept


def _checked(
    name: str, suite: str | None, python: str, index: frozenset[str] | None, source: str, found: Findings
) -> str | None:
    if not _DEBIAN_NAME.match(name):
        found.warn(f"{source}: apt package {name!r} dropped (not a Debian package name)")
        return None
    if suite is None:
        return name
    for old, new, gone_in in _RENAMES:
        if name == old and suite in gone_in:
            found.warn(f"{source}: apt package {name!r} is {new!r} in Debian {suite}; renamed")
            return new
    if _OPENJDK.match(name):
        new = "default-" + name.split("-", 2)[2]
        found.warn(f"{source}: apt package {name!r} is not in every Debian release; {new!r} used")
        return new
    versioned = _VERSIONED_PYTHON.match(name)
    if versioned and f"{versioned.group(1)}.{versioned.group(2)}" != python:
        found.warn(
            f"{source}: apt package {name!r} dropped (Debian {suite} ships Python {python}, not this one)"
        )
        return None
    if _PYTHON2.match(name) and suite != "bullseye" and name != "python-is-python3":
        found.warn(f"{source}: apt package {name!r} dropped (Python 2 is gone from Debian {suite})")
        return None
    if _UBUNTU_ONLY.match(name):
        found.warn(f"{source}: apt package {name!r} dropped (Ubuntu only)")
        return None
    if index is not None and name not in index:
        found.warn(f"{source}: apt package {name!r} dropped (not in this machine's Debian {suite} index)")
        return None
    return name


@functools.lru_cache(maxsize=4)
def _index_names(suite: str) -> frozenset[str] | None:
    """Every package name apt knows here, when this machine's apt index is for `suite` only."""
    if shutil.which("apt-cache") is None:
        return None
    policy = subprocess.run(["apt-cache", "policy"], capture_output=True, text=True, check=False)
    suites = set(re.findall(r"\bn=([\w-]+)", policy.stdout))
    main_suites = {s for s in suites if "-" not in s}
    if policy.returncode != 0 or main_suites != {suite}:
        return None
    names = subprocess.run(["apt-cache", "pkgnames"], capture_output=True, text=True, check=False)
    if names.returncode != 0 or not names.stdout.strip():
        return None
    log.debug("apt names checked against this machine's %s index", suite)
    return frozenset(names.stdout.split())
