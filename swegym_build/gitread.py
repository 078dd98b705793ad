"""The one git layer every stage reads mirrors through: the git command line, read-only.

Works on bare mirrors and on work trees alike (`git -C`). Nothing here checks anything out or runs
repository code: blobs are read with `git cat-file`, trees listed with `git ls-tree`. (`mine` keeps
its mirror in sync with GitPython; the build-context writer in images/snapshot.py calls `git`
here too, with its own environment.)
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from swegym_build.errors import GitError

logger = logging.getLogger(__name__)


def git_bytes(
    repo_path: str | Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = 120,
) -> bytes:
    """Run `git -C repo_path args...` and return stdout as bytes; `GitError` naming the command on
    failure. `env` replaces the environment (callers that need a fixed identity pass theirs)."""
    command = ["git", "-C", str(repo_path), *args]
    try:
        completed = subprocess.run(
            command, input=stdin, capture_output=True, check=False, timeout=timeout, env=env
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"{' '.join(command[:6])}: {exc}") from exc
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"{' '.join(command[:6])} failed ({completed.returncode}): {stderr}")
    return completed.stdout


def run_git(repo_path: str | Path, *args: str, errors: str = "replace", timeout: float | None = 120) -> str:
    """`git_bytes` decoded. Invalid UTF-8 is replaced by default (files are read, never executed);
    `errors="surrogateescape"` keeps the bytes, for a diff that must apply as it was."""
    return git_bytes(repo_path, *args, timeout=timeout).decode("utf-8", errors)


def resolve_commit(repo_path: str | Path, commit: str) -> str:
    """Full sha of `commit`; `GitError` if the repository does not have it (fetch the mirror first)."""
    try:
        return run_git(repo_path, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}").strip()
    except GitError as exc:
        raise GitError(f"commit {commit} not found in {repo_path}; is the mirror up to date?") from exc


def commit_timestamp(repo_path: str | Path, commit: str) -> int:
    """Committer date of `commit` as a Unix timestamp."""
    return int(run_git(repo_path, "show", "-s", "--format=%ct", commit).strip())


def commit_date(repo_path: str | Path, commit: str) -> str:
    """Committer date of `commit` in strict ISO 8601 (`%cI`), with its offset."""
    return run_git(repo_path, "show", "-s", "--format=%cI", commit).strip()


@dataclass
class CommitTree:
    """The files of one commit, read lazily and cached (one inference reads a handful of blobs)."""

    repo_path: Path
    commit: str
    _paths: frozenset[str] | None = field(default=None, repr=False)
    _blobs: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def paths(self) -> frozenset[str]:
        """Every file path in the commit's tree."""
        if self._paths is None:
            listing = run_git(self.repo_path, "ls-tree", "-r", "--name-only", "-z", self.commit)
            self._paths = frozenset(p for p in listing.split("\0") if p)
        return self._paths

    def exists(self, path: str) -> bool:
        """Whether `path` is a file in the commit."""
        return path in self.paths

    def read(self, path: str) -> str | None:
        """Text of `path` at the commit, or None when there is no such file."""
        if path not in self._blobs:
            self._blobs[path] = (
                run_git(self.repo_path, "cat-file", "-p", f"{self.commit}:{path}")
                if self.exists(path)
                else None
            )
        return self._blobs[path]


@dataclass(frozen=True)
class TagRef:
    """A tag, the commit it points to, and the date used to decide whether it existed yet."""

    name: str
    commit: str
    timestamp: int


def list_tags(repo_path: str | Path) -> list[TagRef]:
    """All tags that point (possibly through annotated tag objects) to commits.

    The date is the tagger date for annotated tags (when the release was made) and the commit
    date for lightweight ones, which carry no date of their own.
    """
    fields = (
        "refname:strip=2",
        "objecttype",
        "objectname",
        "*objectname",
        "*objecttype",
        "taggerdate:unix",
        "committerdate:unix",
    )
    fmt = "%00".join(f"%({name})" for name in fields)
    tags: list[TagRef] = []
    for line in run_git(repo_path, "for-each-ref", f"--format={fmt}", "refs/tags").splitlines():
        name, kind, target, peeled, peeled_kind, tagger_date, commit_date = line.split("\0")
        if kind == "commit" and commit_date:
            tags.append(TagRef(name, target, int(commit_date)))
        elif kind == "tag" and peeled_kind == "commit" and tagger_date:
            tags.append(TagRef(name, peeled, int(tagger_date)))
        else:
            logger.debug("skipping tag %s (points to a %s)", name, peeled_kind or kind)
    return tags


def tags_reachable_from(repo_path: str | Path, commit: str) -> set[str]:
    """Names of the tags whose commit is an ancestor of (or is) `commit`."""
    return set(run_git(repo_path, "tag", "--merged", commit).split())
