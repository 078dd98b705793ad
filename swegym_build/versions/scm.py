"""Projects whose version comes from git (setuptools_scm, hatch-vcs) and how they build without it.

The env tier's /testbed has no `.git`, and an instance's `.git` has one commit and no tags, so such
a build would fail or number itself 0.1.dev1. The versions stage sets
`SETUPTOOLS_SCM_PRETEND_VERSION` (read by setuptools_scm and hatch-vcs) to the inferred version
instead. Versioneer needs nothing: without git it falls back to `0+unknown` and builds.
"""

from __future__ import annotations

import re
from pathlib import Path

from swegym_build.gitread import CommitTree

PRETEND_VERSION_ENV = "SETUPTOOLS_SCM_PRETEND_VERSION"
_SCM = re.compile(r"setuptools[_-]scm|hatch-vcs|use_scm_version|\[tool\.setuptools_scm\]")


def versioned_by_git(mirror: Path, commit: str) -> bool:
    """Whether the packaging files at `commit` take the version from git (read statically)."""
    tree = CommitTree(mirror, commit)
    return any(_SCM.search(tree.read(name) or "") for name in ("pyproject.toml", "setup.cfg", "setup.py"))


def pretend_version(version: str) -> str:
    """`5.0` -> `5.0.0`: the inferred major.minor as a full release number."""
    return version if version.count(".") >= 2 else f"{version}.0"
