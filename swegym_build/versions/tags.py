"""Version from release tags, for projects that keep no version in their sources.

setuptools_scm, versioneer and dunamai projects (and those with a `0.0.0` placeholder) compute
their version from `git describe` at build time. We pick, among the version tags that are
reachable from the commit *or* were made at or before the commit's date, the highest version:

- reachable tags are what `git describe` sees, so a development tag on main (`v3.0.0.dev0`)
  correctly wins over a later bug-fix release on a maintenance branch (`v2.2.2`);
- tags on release branches that never merge back are not reachable, but a commit made after
  `1.2.0` was released on its branch still belongs to `1.2` (hence the date rule);
- pre-release tags count: a commit after `2.0.0rc1` is on its way to 2.0, and its build reports
  `2.0.0rc1+N` (SWE-bench would label it `2.0`).

Tags that are not reachable only count within the same major version as the best reachable tag
(or when no tag is reachable at all): dask's mirror holds a stray `1.23.3` tag (a `distributed`
release) dated before dask's own 0.20.0, which must not turn dask 0.20 into 1.23.

Known limit: a commit on an old maintenance branch made after a higher release of the same major
elsewhere gets the higher version; a `tag_pattern` or `version_file` override fixes such cases.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import NamedTuple

from swegym_build.gitread import commit_timestamp, list_tags, tags_reachable_from
from swegym_build.versions.models import VersionInfo
from swegym_build.versions.normalize import normalize_version, version_sort_key

logger = logging.getLogger(__name__)

DEFAULT_TAG_PATTERN = (
    r"(?:v|version|release|rel)?[-_/.]?"
    r"(?P<version>\d+(?:\.\d+)+(?:[-_.]?(?:a|alpha|b|beta|c|rc|pre|preview|dev|post)[-_.]?\d*)?)"
)


def tag_version(tag: str, pattern: re.Pattern[str]) -> str | None:
    """The version a tag name stands for under `pattern`, or None if it is not a release tag."""
    match = pattern.fullmatch(tag)
    if match is None:
        return None
    if "version" in match.groupdict():
        return match["version"]
    return match.group(1) if match.groups() else match.group(0)


def version_from_tags(
    repo_path: str | Path, commit: str, tag_pattern: str | None = None
) -> VersionInfo | None:
    """The version of `commit` according to release tags (see the module docstring), or None."""
    pattern = re.compile(tag_pattern or DEFAULT_TAG_PATTERN, 0 if tag_pattern else re.IGNORECASE)
    when = commit_timestamp(repo_path, commit)
    reachable_names = tags_reachable_from(repo_path, commit)
    reachable: list[_Candidate] = []
    earlier: list[_Candidate] = []
    for tag in list_tags(repo_path):
        raw = tag_version(tag.name, pattern)
        if raw is None or normalize_version(raw) is None:
            continue
        candidate = _Candidate(version_sort_key(raw), tag.timestamp, tag.name, raw)
        if tag.name in reachable_names:
            reachable.append(candidate)
        elif tag.timestamp <= when:
            earlier.append(candidate)
    best = max(reachable, default=None)
    if best is not None:
        earlier = [c for c in earlier if c.key[0][:1] == best.key[0][:1]]
    best = max([*earlier, *([best] if best else [])], default=None)
    if best is None:
        logger.debug("%s: no release tag at or before the commit", commit[:12])
        return None
    version = normalize_version(best.raw)
    assert version is not None  # filtered above
    return VersionInfo(version=version, source=f"tag {best.name}", raw=best.raw)


class _Candidate(NamedTuple):
    """Ordered by version, then by date (the later tag of two equal versions wins)."""

    key: tuple[tuple[int, ...], int, int]
    timestamp: int
    name: str
    raw: str
