"""Generated git histories for the versions tests: real bare repositories, built with plumbing.

Commits are made with `hash-object`/`update-index`/`write-tree`/`commit-tree` against a private
index, so any branch can grow from any commit with fixed dates and nothing is ever checked out;
the repository is bare, like the miner's mirrors.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

FIXED_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class GitHistory:
    """A bare repository plus helpers to add commits and tags at chosen dates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index = path.parent / f"{path.name}.index"
        path.mkdir(parents=True)
        self.git("init", "-q", "--bare", "-b", "main")

    def git(self, *args: str, date: str | None = None, stdin: str | bytes | None = None) -> str:
        env = {**os.environ, **FIXED_ENV, "GIT_INDEX_FILE": str(self._index)}
        if date is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        completed = subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=env,
            input=stdin.encode() if isinstance(stdin, str) else stdin,
            capture_output=True,
            check=True,
        )
        return completed.stdout.decode().strip()

    def commit(
        self,
        files: Mapping[str, str | bytes | None],
        *,
        date: str,
        branch: str = "main",
        start: str | None = None,
    ) -> str:
        """Commit `files` (text or bytes; None deletes) on `branch`, on top of `start` or the branch tip."""
        parent = start or self._tip(branch)
        if parent:
            self.git("read-tree", parent)
        else:
            self.git("read-tree", "--empty")
        for path, content in files.items():
            if content is None:
                # mode 0 removes the entry; --force-remove would want a work tree
                self.git("update-index", "--index-info", stdin=f"0 {'0' * 40}\t{path}\n")
                continue
            blob = self.git("hash-object", "-w", "--stdin", stdin=content)
            self.git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
        tree = self.git("write-tree")
        parents = ["-p", parent] if parent else []
        sha = self.git("commit-tree", tree, *parents, "-m", f"commit at {date}", date=date)
        self.git("update-ref", f"refs/heads/{branch}", sha)
        return sha

    def tag(self, name: str, target: str, *, annotated_at: str | None = None) -> None:
        """A lightweight tag, or an annotated one whose tagger date is `annotated_at`."""
        if annotated_at is None:
            self.git("tag", name, target)
        else:
            self.git("tag", "-a", name, target, "-m", name, date=annotated_at)

    def _tip(self, branch: str) -> str | None:
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
        except subprocess.CalledProcessError:
            return None


def raw_row(repo: str, number: int, base: str, day: str) -> dict[str, object]:
    """A SWE-Gym Raw row for PR `number` of `repo` at `base`, opened on `day`, with no patches."""
    return {
        "repo": repo, "instance_id": f"{repo.replace('/', '__')}-{number}", "base_commit": base,
        "patch": "", "test_patch": "", "problem_statement": "p", "hints_text": "",
        "created_at": f"{day}T12:00:00Z", "pull_number": number, "issue_numbers": [],
    }  # fmt: skip
