"""Repo-wide lists from the API, read into plain records.

Only fields present in GitHub's *list* responses are read: PyGithub fetches an object by itself
when a field its list response lacked is touched (`Issue.pull_request` on a plain issue, for
one), which would cost a request per item. The issues list holds the pull requests too: they are
told apart by their `html_url` (ending in `/pull/N`), and their `pull_request` part carries `merged_at`,
so one list covers both; heads and bases come from the mirror.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import github
from github.Repository import Repository

from swegym_build.errors import GitHubError, NotFound, RateLimited, Unauthorized


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class IssueItem:
    """An issue or a PR as the issues list shows it (and as the workspace keeps it between runs)."""

    number: int
    title: str
    body: str
    comments: int
    created_at: datetime
    updated_at: datetime  # a comment made, an edit, a close or a merge bumps it
    is_pull: bool = False
    state: str = "open"
    merged_at: datetime | None = None  # PRs only


@dataclass(frozen=True)
class PullItem:
    """A pull request as the issues list shows it."""

    number: int
    title: str
    body: str
    state: str
    created_at: datetime
    updated_at: datetime
    merged_at: datetime | None


@dataclass(frozen=True)
class ListedPage:
    """What one paging of the issues list returned (all of it, or what changed since a moment)."""

    items: list[IssueItem]
    merged_at_missing: bool  # the server's list lacks `merged_at` (older GitHub Enterprise)


@dataclass(frozen=True)
class IssuesList:
    """The issues list, split: every item (for comment counts), plain issues and pull requests."""

    items: dict[int, IssueItem]
    issues: dict[int, IssueItem]
    pulls: list[PullItem]  # by number

    @classmethod
    def of(cls, items: dict[int, IssueItem]) -> IssuesList:
        pulls = [
            PullItem(i.number, i.title, i.body, i.state, i.created_at, i.updated_at, i.merged_at)
            for i in items.values()
            if i.is_pull
        ]
        issues = {number: item for number, item in items.items() if not item.is_pull}
        return cls(items, issues, sorted(pulls, key=lambda p: p.number))


@dataclass(frozen=True)
class CommentItem:
    issue_number: int
    created_at: datetime
    body: str


def translate_errors(repo: str, api_url: str) -> _ErrorTranslator:
    return _ErrorTranslator(repo, api_url)


class _ErrorTranslator:
    """Turns PyGithub's exceptions into ours, with a message naming the repository."""

    def __init__(self, repo: str, api_url: str) -> None:
        self.repo, self.api_url = repo, api_url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> None:
        if error is None or not isinstance(error, github.GithubException):
            return
        where = f"{self.repo} at {self.api_url}"
        if isinstance(error, github.BadCredentialsException) or error.status == 401:
            raise Unauthorized(f"GitHub refused the token (401) for {where}; check GITHUB_TOKEN") from error
        if isinstance(error, github.UnknownObjectException) or error.status == 404:
            raise NotFound(f"repository {where} not found (or the token cannot see it)") from error
        if isinstance(error, github.RateLimitExceededException):
            raise RateLimited(f"rate limit exceeded for {where}") from error
        message = (error.data or {}).get("message", "") if isinstance(error.data, dict) else ""
        raise GitHubError(f"GitHub answered {error.status} for {where}: {message}") from error


def read_issues_list(repo: Repository, since: datetime | None = None) -> ListedPage:
    """Every issue and PR, oldest first; with `since`, only those updated at or after it
    (GitHub's filter, which a close, a merge, an edit or a comment passes)."""
    found: list[IssueItem] = []
    merged_at_missing = False
    # Oldest first by creation, which an update never changes: an item created while the pages
    # are read joins at the end, one updated (with `since`) joins at its place, which repeats an
    # item on the next page but never lets one slip between two pages.
    listed = (
        repo.get_issues(state="all", sort="created", direction="asc", since=since.astimezone(timezone.utc))
        if since is not None
        else repo.get_issues(state="all", sort="created", direction="asc")
    )
    for issue in listed:
        is_pull = issue.html_url.endswith(f"/pull/{issue.number}")
        merged_at = None
        if is_pull:
            # Set in the list response for a PR, so reading it fetches nothing.
            part = issue.pull_request
            merged_at_missing |= part is None or "merged_at" not in part.raw_data
            merged_at = part.merged_at if part else None
        found.append(
            IssueItem(
                number=issue.number,
                title=issue.title or "",
                body=issue.body or "",
                comments=issue.comments,
                created_at=issue.created_at,
                updated_at=issue.updated_at,
                is_pull=is_pull,
                state=issue.state,
                merged_at=merged_at,
            )
        )
    return ListedPage(found, merged_at_missing)


def list_merged_at(repo: Repository, since: datetime | None = None) -> dict[int, datetime | None]:
    """When each PR was merged, from the pulls list: for servers whose issues list lacks it.
    With `since`, only PRs updated at or after it, read newest first until an older one."""
    found: dict[int, datetime | None] = {}
    for pull in repo.get_pulls(state="all", sort="updated", direction="desc"):
        if since is not None and pull.updated_at is not None and pull.updated_at < since:
            break
        found[pull.number] = pull.merged_at
    return found


def base_sha(repo: Repository, number: int) -> str | None:
    """The base commit GitHub recorded for one PR (None if it has no such PR): a request of its
    own, asked only when git cannot tell."""
    try:
        return repo.get_pull(number).base.sha
    except github.UnknownObjectException:
        return None


def _issue_number(issue_url: str) -> int:
    return int(issue_url.rstrip("/").rsplit("/", 1)[1])


def list_repo_comments(repo: Repository, since: datetime, until: datetime | None) -> Iterator[CommentItem]:
    """The repository's issue comments, oldest first: those updated at or after `since` (GitHub's
    filter), stopping at the first created at or after `until`."""
    # PyGithub writes `since` as if it were UTC; a second earlier in case GitHub's "after" is strict.
    since = since.astimezone(timezone.utc) - timedelta(seconds=1)
    for comment in repo.get_issues_comments(sort="created", direction="asc", since=since):
        if until is not None and comment.created_at >= until:
            return
        yield CommentItem(_issue_number(comment.issue_url), comment.created_at, comment.body or "")


def list_issue_comments(repo: Repository, number: int) -> Iterator[CommentItem]:
    # `get_issue` only names the issue (PyGithub fetches it when a field is read, and none is).
    for comment in repo.get_issue(number).get_comments():
        yield CommentItem(number, comment.created_at, comment.body or "")
