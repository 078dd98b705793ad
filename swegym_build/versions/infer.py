"""`infer_version`: the SWE-bench `version` of one commit, read statically from a git repository."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from swegym_build.gitread import CommitTree, resolve_commit
from swegym_build.versions.models import VersionInfo, VersionOverride
from swegym_build.versions.normalize import normalize_version
from swegym_build.versions.static_sources import Declared, find_declared_version, read_python_version
from swegym_build.versions.tags import version_from_tags

logger = logging.getLogger(__name__)


def infer_version(
    repo_path: str | Path, commit: str, override: VersionOverride | None = None
) -> VersionInfo | None:
    """The `major.minor` version `commit` declares, or None when neither files nor tags tell.

    `repo_path` is a git repository, bare (the miner's mirrors) or not; nothing is checked out and
    no repository code runs. The override's `version_file` (with its `pattern`) is tried first;
    then the generic static search (`static_sources`); then release tags (`tags`, using the
    override's `tag_pattern` if any). Raises `GitError` if the commit is not in the repository.
    """
    sha = resolve_commit(repo_path, commit)
    tree = CommitTree(Path(repo_path), sha)
    declared = None
    if override is not None and override.version_file is not None:
        declared = _from_override(tree, override.version_file, override.pattern)
        if declared is None:
            logger.info(
                "%s: override %s gave no version; using the generic rules", sha[:12], override.version_file
            )
    if declared is None:
        declared = find_declared_version(tree)
    if declared is not None:
        version = normalize_version(declared.raw)
        if version is not None:
            return VersionInfo(version=version, source=declared.source, raw=declared.raw)
    return version_from_tags(repo_path, sha, override.tag_pattern if override is not None else None)


def _from_override(tree: CommitTree, path: str, pattern: str | None) -> Declared | None:
    text = tree.read(path)
    if text is None:
        return None
    if pattern is None:
        if path.endswith(".py"):
            return read_python_version(tree, path)
        first_line = text.strip().splitlines()[0] if text.strip() else ""
        return Declared(first_line.strip(), path) if first_line else None
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        return None
    raw = (
        match["version"] if "version" in match.groupdict() else match.group(1) if match.groups() else match[0]
    )
    return Declared(raw, path)
