"""Where a merged pull request forked from, told by the mirror instead of the pulls list.

The issues list says that a PR was merged, not into which branch nor from which commit; the
mirror's history does. GitHub lands a PR in one of three ways, each leaving its own trace:
- a merge commit: the PR's head is a non-first parent of a commit on some branch, whose first
  parent is that branch just before the merge;
- a squash: one new commit whose subject ends in "(#N)", whose parent is the branch just before;
- a rebase: new copies of the PR's commits, with no trace of the number.
The base commit is the merge-base of the head with the branch just before the landing, the same
fork point the pulls list's base sha gives. A head or number can leave more than one trace (a
backport merging the PR's branch into a release branch, an open branch that merged the PR's
branch into itself, a squash cherry-picked elsewhere, an imported history whose own "(#N)"
subjects collide): a trace older than the head's last commit cannot be its landing, and among
the others one on the default branch's first-parent line wins, then the oldest.
Without a trace (a rebase, an edited squash subject, a branch deleted since) the default
branch's tip stands in, which gives the fork point for every PR into the default branch. Only
when the head already lies on the branch itself (a fast-forward pushed by hand, a PR whose
commits arrived with a stacked one) does git keep no record of where its commits began; then
the API is asked for that one PR's base.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from swegym_build.mine.mirror import BranchCommit, Mirror, PullHead

SQUASH_SUBJECT = re.compile(r"\(#(\d+)\)\s*$")


@dataclass(frozen=True, order=True)
class Landing:
    """A commit that may have landed a PR, ranked: on the default line first, then oldest."""

    off_default_line: bool
    committed_at: int
    tip_before: str  # the landing commit's first parent: the branch just before


class BaseFinder:
    """Base commits of merged PRs: one pass over the mirror's history, then a merge-base per PR.

    The pass is made when the first base is asked for: a run with no merged PR to decide (a
    re-run over an unchanged repository) walks no history at all.
    """

    def __init__(
        self,
        mirror: Mirror,
        default_branch: str,
        heads: Mapping[int, PullHead],
        ask_base_sha: Callable[[int], str | None],
    ) -> None:
        self._mirror, self._ask_base_sha = mirror, ask_base_sha
        self._default_branch = default_branch
        self._head_times = {head.sha: head.committed_at for head in heads.values()}
        self.asked_api: list[int] = []  # PRs whose base only the API could tell

    @cached_property
    def _default_tip(self) -> str | None:
        return self._mirror.branch_tip(self._default_branch)

    @cached_property
    def _default_line(self) -> set[str]:
        return self._mirror.first_parent_line(self._default_tip) if self._default_tip else set()

    @cached_property
    def _traces(self) -> tuple[dict[str, list[Landing]], dict[int, list[Landing]]]:
        return _landings(self._mirror.branch_history(), self._default_line)

    def base_commit(self, number: int, head: str) -> str | None:
        if head not in self._default_line:
            tip = self._landing_tip(number, head) or self._default_tip
            base = self._mirror.merge_base(head, tip) if tip else None
            if base != head:
                return base
        self.asked_api.append(number)
        recorded = self._ask_base_sha(number)
        return self._mirror.merge_base(head, recorded) if recorded else None

    def _landing_tip(self, number: int, head: str) -> str | None:
        merged, squashed = self._traces
        traces = [*merged.get(head, ()), *squashed.get(number, ())]
        if not traces:
            return None
        head_time = self._head_times[head]
        landings = [landing for landing in traces if landing.committed_at >= head_time]
        return min(landings).tip_before if landings else None


def _landings(
    history: list[BranchCommit], default_line: set[str]
) -> tuple[dict[str, list[Landing]], dict[int, list[Landing]]]:
    """Every merge commit by the heads it merged, and every "(#N)" commit by N."""
    merged: dict[str, list[Landing]] = {}
    squashed: dict[int, list[Landing]] = {}
    for commit in history:
        if not commit.parents:
            continue
        landing = Landing(commit.sha not in default_line, commit.committed_at, commit.parents[0])
        for merged_parent in commit.parents[1:]:
            merged.setdefault(merged_parent, []).append(landing)
        match = SQUASH_SUBJECT.search(commit.subject)
        if match:
            squashed.setdefault(int(match[1]), []).append(landing)
    return merged, squashed
