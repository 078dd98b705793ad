"""Where a merged pull request forked from, told by the mirror instead of the pulls list.

The issues list says that a PR was merged, not into which branch nor from which commit; the
mirror's history does. GitHub lands a PR in one of three ways, each leaving its own trace:
- a merge commit: the PR's head is a non-first parent of a commit on some branch, whose first
  parent is that branch just before the merge;
- a squash: one new commit whose subject ends in "(#N)", whose parent is the branch just before;
- a rebase: new copies of the PR's commits, with no trace of the number.
The base commit is the merge-base of the head with the branch just before the landing, the same
fork point the pulls list's base sha gives. Without a trace (a rebase, an edited squash subject)
the default branch's tip stands in, which gives that fork point for every PR into the default
branch. Only when the head already lies on the branch itself (a fast-forward pushed by hand, or a
PR whose commits arrived with another one) does git keep no record of where its commits began;
then the API is asked for that one PR's base.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from swegym_build.mine.mirror import BranchCommit, Mirror

SQUASH_SUBJECT = re.compile(r"\(#(\d+)\)\s*$")


class BaseFinder:
    """Base commits of merged PRs: one pass over the mirror's history, then a merge-base per PR."""

    def __init__(self, mirror: Mirror, default_branch: str, ask_base_sha: Callable[[int], str]) -> None:
        self._mirror, self._ask_base_sha = mirror, ask_base_sha
        self._default_tip = mirror.branch_tip(default_branch)
        self._default_line = mirror.first_parent_line(self._default_tip) if self._default_tip else set()
        self._merged, self._squashed = _landing_points(mirror.branch_history())
        self.asked_api: list[int] = []  # PRs whose base only the API could tell

    def base_commit(self, number: int, head: str) -> str | None:
        if head not in self._default_line:
            tip = self._merged.get(head) or self._squashed.get(number) or self._default_tip
            base = self._mirror.merge_base(head, tip) if tip else None
            if base != head:
                return base
        self.asked_api.append(number)
        return self._mirror.merge_base(head, self._ask_base_sha(number))


def _landing_points(history: list[BranchCommit]) -> tuple[dict[str, str], dict[int, str]]:
    """Merged head -> the branch before its merge commit; PR number -> the branch before its squash.

    A head or number seen more than once (a merge into a release branch and then into main, a
    squash cherry-picked into a backport branch) keeps its oldest landing: the PR's own.
    """
    merged: dict[str, tuple[int, str]] = {}
    squashed: dict[int, tuple[int, str]] = {}
    for commit in history:
        if not commit.parents:
            continue
        landing = (commit.committed_at, commit.parents[0])
        for merged_parent in commit.parents[1:]:
            if merged_parent not in merged or landing < merged[merged_parent]:
                merged[merged_parent] = landing
        match = SQUASH_SUBJECT.search(commit.subject)
        if match:
            number = int(match[1])
            if number not in squashed or landing < squashed[number]:
                squashed[number] = landing
    return (
        {head: tip for head, (_, tip) in merged.items()},
        {number: tip for number, (_, tip) in squashed.items()},
    )
