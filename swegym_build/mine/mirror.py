"""A bare mirror per repository in the workspace: every diff, file list and commit date comes
from here rather than from per-PR API calls.

The mirror fetches branches, tags and `refs/pull/*/head`, so the head of every pull request,
merged or not, is at hand. A token (private repositories) reaches git only through environment
variables of the one git process that needs it, never the mirror's config or a command line.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import git

from swegym_build.errors import GitError
from swegym_build.gitread import run_git

log = logging.getLogger(__name__)

FETCH_REFSPECS = (
    "+refs/heads/*:refs/heads/*",
    "+refs/tags/*:refs/tags/*",
    "+refs/pull/*/head:refs/pull/*/head",
)


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    authored_at: datetime  # when the work was done: a rebase keeps it, unlike the commit date
    message: str


@dataclass(frozen=True)
class ChangedFile:
    path: str
    binary: bool


@dataclass(frozen=True)
class PullHead:
    sha: str
    committed_at: int  # a landing cannot be older than this


@dataclass(frozen=True)
class BranchCommit:
    """A commit reachable from some branch, as much as telling where PRs landed needs."""

    sha: str
    parents: tuple[str, ...]
    committed_at: int
    subject: str


def _auth_env(token: str | None) -> dict[str, str]:
    if not token:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }


class Mirror:
    """A bare mirror: kept in sync with GitPython (`sync`), read through the shared git layer."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self, *args: str) -> str:
        # No time limit: a history walk over a large repository may take minutes. Bytes that
        # are not UTF-8 survive (surrogateescape), so a diff applies as git wrote it.
        return run_git(self.path, *args, errors="surrogateescape", timeout=None)

    @classmethod
    def sync(cls, path: Path, clone_url: str, token: str | None = None) -> Mirror:
        """Create the mirror on first use, then fetch what is new (branches, tags, PR heads)."""
        env = {"GIT_TERMINAL_PROMPT": "0", **_auth_env(token)}
        try:
            if not (path / "HEAD").exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                git.Repo.init(path, bare=True)
            repo = git.Repo(path)
            # A run killed between `init` and `remote add` left a mirror with no origin.
            has_origin = "origin" in repo.git.remote().split()
            repo.git.remote("set-url" if has_origin else "add", "origin", clone_url)
            # A commit-graph keeps merge-bases against a tip far from the fork point fast.
            repo.git.config("fetch.writeCommitGraph", "true")
            repo.git.fetch("--quiet", "--force", "--no-tags", "origin", *FETCH_REFSPECS, env=env)
        except git.GitCommandError as error:
            # stderr may echo the URL, never the header that carries the token.
            raise GitError(f"could not fetch {clone_url} into {path}: {error.stderr.strip()}") from error
        return cls(path)

    def has_commit(self, sha: str) -> bool:
        try:
            self._read("cat-file", "-e", f"{sha}^{{commit}}")
        except GitError:
            return False
        return True

    def merge_base(self, first: str, second: str) -> str | None:
        try:
            return self._read("merge-base", first, second).strip() or None
        except GitError:
            return None

    def pull_heads(self) -> dict[int, PullHead]:
        """The head commit of every pull request, from `refs/pull/<N>/head`."""
        output = self._read(
            "for-each-ref", "--format=%(refname) %(objectname) %(committerdate:unix)", "refs/pull/"
        )
        heads = {}
        for line in output.splitlines():
            ref, sha, stamp = line.split(" ")
            _, _, number, kind = ref.split("/", 3)
            if kind == "head" and number.isdigit():
                heads[int(number)] = PullHead(sha, int(stamp))
        return heads

    def branch_tip(self, branch: str) -> str | None:
        try:
            return self._read("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}").strip()
        except GitError:
            return None

    def first_parent_line(self, tip: str) -> set[str]:
        """The branch's own line: its commits reached by first parents only (merged work is not)."""
        return set(self._read("rev-list", "--first-parent", tip).split())

    def branch_history(self) -> list[BranchCommit]:
        """Every commit reachable from a branch or tag (a deleted release line may be tagged)."""
        output = self._read("log", "--branches", "--tags", "--format=%H%x00%P%x00%ct%x00%s%x1e")
        found = []
        for record in output.split("\x1e"):
            record = record.strip("\n")
            if not record:
                continue
            sha, parents, stamp, subject = record.split("\x00", 3)
            found.append(BranchCommit(sha, tuple(parents.split()), int(stamp), subject))
        return found

    def commits(self, base: str, head: str) -> list[CommitInfo]:
        """Commits reachable from `head` and not from `base`, oldest first."""
        output = self._read("log", "--reverse", "--format=%H%x00%at%x00%B%x1e", f"{base}..{head}")
        found = []
        for record in output.split("\x1e"):
            record = record.strip("\n")
            if not record:
                continue
            sha, stamp, message = record.split("\x00", 2)
            found.append(CommitInfo(sha, datetime.fromtimestamp(int(stamp), timezone.utc), message))
        return found

    def changed_files(self, base: str, head: str) -> list[ChangedFile]:
        """Files that differ between two commits; renames count as a delete plus an add."""
        output = self._read("diff", "--no-renames", "--numstat", "-z", base, head)
        files = []
        for entry in output.split("\x00"):
            if not entry:
                continue
            added, deleted, path = entry.split("\t", 2)
            files.append(ChangedFile(path, binary=added == "-" and deleted == "-"))
        return files

    def diff(self, base: str, head: str, paths: Sequence[str]) -> str:
        """The diff of `paths` in a form `git apply` takes back, binary changes included."""
        if not paths:
            return ""
        pathspecs = [f":(literal){path}" for path in paths]
        return self._read(
            "diff", "--no-renames", "--binary", "--full-index", "--no-color", base, head, "--", *pathspecs
        )
