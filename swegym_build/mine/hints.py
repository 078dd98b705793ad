"""Comments on the linked issues, fetched the cheapest way the counts allow.

The issues list already says how many comments each issue and PR has, and when each was last
updated (a new or edited comment updates its issue). Asking a linked issue costs one request per
100 of its comments. Paging the repository's comment list from a moment T (GitHub's `since`)
costs one request per 100 comments updated since T, which the counts bound from above: only items
updated since T can hold them. It serves every linked issue created at or after T, since no
comment predates its issue. So the plan picks T among the linked issues' creation times (or no
T at all): the issues older than T are asked one by one, the rest come from the list. A large
repository with few candidates pays per issue, a busy one pays per page, and one whose fixes
began to link issues late pays for a few old issues and the recent pages.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

from github.Repository import Repository

from swegym_build.mine.listing import CommentItem, IssueItem, list_issue_comments, list_repo_comments

PAGE = 100


@dataclass(frozen=True)
class HintPlan:
    per_issue: tuple[int, ...]  # issues whose comments are asked one issue at a time
    since: datetime | None  # where the repo-wide list starts; None: not paged at all
    estimated_requests: int

    @property
    def strategy(self) -> str:
        if self.since is None:
            return "per_issue" if self.per_issue else "none"
        return "mixed" if self.per_issue else "repo_wide"


def plan(needed: set[int], items: Mapping[int, IssueItem]) -> HintPlan:
    commented = sorted((items[n].created_at, n) for n in needed if items[n].comments > 0)
    if not commented:
        return HintPlan((), None, 0)
    asks = [math.ceil(items[n].comments / PAGE) for _, n in commented]
    # Comments held by items updated at or after each moment: suffix sums over update times.
    by_update = sorted((item.updated_at, item.comments) for item in items.values())
    stamps = [stamp for stamp, _ in by_update]
    held_since = list(accumulate((count for _, count in reversed(by_update)), initial=0))[::-1]

    best = (sum(asks), len(commented))  # (requests, split): everything asked one by one
    asked_before = 0
    for split, (created, _) in enumerate(commented):
        held = held_since[bisect.bisect_left(stamps, created)]
        requests = asked_before + max(1, math.ceil(held / PAGE))
        if requests < best[0]:
            best = (requests, split)
        asked_before += asks[split]
    requests, split = best
    per_issue = tuple(sorted(n for _, n in commented[:split]))
    since = commented[split][0] if split < len(commented) else None
    return HintPlan(per_issue, since, requests)


def fetch_comments(
    repo: Repository,
    needed: set[int],
    items: Mapping[int, IssueItem],
    until: datetime | None,
) -> tuple[dict[int, list[CommentItem]], HintPlan]:
    """Comments of the `needed` issues (the list stops at `until`), oldest first."""
    chosen = plan(needed, items)
    found: dict[int, list[CommentItem]] = defaultdict(list)
    for number in chosen.per_issue:
        found[number].extend(list_issue_comments(repo, number))
    if chosen.since is not None:
        from_list = needed.difference(chosen.per_issue)
        for comment in list_repo_comments(repo, since=chosen.since, until=until):
            if comment.issue_number in from_list:
                found[comment.issue_number].append(comment)
    return dict(found), chosen
