"""Comments on the linked issues, fetched the cheapest way the counts allow.

The issues list already says how many comments each issue and PR has, and when each was last
updated (a new or edited comment updates its issue). Asking each linked issue costs one request
per commented issue (per 100 comments). Paging the repository's comment list costs one request
per 100 comments, and it can start at the oldest linked issue's creation (GitHub's `since`): no
comment on an issue predates the issue, and only items updated since then can hold comments it
returns. Whichever is fewer is used, so a large repository with few candidates pays per issue,
and a busy one, or a recent window of it, pays per page.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from github.Repository import Repository

from swegym_build.mine.listing import CommentItem, IssueItem, list_issue_comments, list_repo_comments

PAGE = 100


@dataclass(frozen=True)
class HintPlan:
    strategy: str  # "none", "per_issue" or "repo_wide"
    estimated_requests: int
    since: datetime | None = None  # where the repo-wide list starts


def plan(needed: set[int], items: Mapping[int, IssueItem]) -> HintPlan:
    commented = [items[n].comments for n in needed if items[n].comments > 0]
    if not commented:
        return HintPlan("none", 0)
    per_issue = sum(math.ceil(count / PAGE) for count in commented)
    since = min(items[n].created_at for n in needed)
    in_window = sum(item.comments for item in items.values() if item.updated_at >= since)
    repo_wide = max(1, math.ceil(in_window / PAGE))
    if per_issue <= repo_wide:
        return HintPlan("per_issue", per_issue)
    return HintPlan("repo_wide", repo_wide, since)


def fetch_comments(
    repo: Repository,
    needed: set[int],
    items: Mapping[int, IssueItem],
    until: datetime | None,
) -> tuple[dict[int, list[CommentItem]], HintPlan]:
    """Comments of the `needed` issues (created before `until`), oldest first."""
    chosen = plan(needed, items)
    found: dict[int, list[CommentItem]] = defaultdict(list)
    if chosen.strategy == "per_issue":
        for number in sorted(needed):
            if items[number].comments:
                found[number].extend(list_issue_comments(items[number]))
    elif chosen.strategy == "repo_wide" and chosen.since is not None:
        for comment in list_repo_comments(repo, since=chosen.since, until=until):
            if comment.issue_number in needed:
                found[comment.issue_number].append(comment)
    return dict(found), chosen
