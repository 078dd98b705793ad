"""The data a fake GitHub serves, and its rendering in GitHub's JSON shapes.

List responses carry exactly the fields GitHub's list endpoints carry (a pull in a list has no
`merged`, `comments` or `additions`), so a client that reads a field the list lacks triggers a
visible extra request, just as it would against github.com.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zlib import crc32


@dataclass
class FakeIssue:
    number: int
    title: str
    body: str
    created_at: str
    updated_at: str
    user: str = "alice"
    state: str = "open"
    closed_at: str | None = None


@dataclass
class FakePull:
    number: int
    title: str
    body: str
    created_at: str
    updated_at: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    state: str = "closed"
    closed_at: str | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    user: str = "bob"


@dataclass
class FakeComment:
    id: int
    issue_number: int
    body: str
    created_at: str
    updated_at: str
    user: str = "carol"


@dataclass
class FakeRepo:
    full_name: str
    clone_url: str
    default_branch: str = "main"
    issues: dict[int, FakeIssue] = field(default_factory=dict)
    pulls: dict[int, FakePull] = field(default_factory=dict)
    comments: list[FakeComment] = field(default_factory=list)
    private: bool = False
    issues_list_merged_at: bool = True  # False: the issues list omits it, as older GitHub Enterprise

    def item(self, number: int) -> FakeIssue | FakePull:
        """Issue or pull request `number` (they share one number space, as on GitHub)."""
        return self.issues.get(number) or self.pulls[number]

    def add_comment(self, number: int, body: str, at: str, user: str = "carol") -> FakeComment:
        """A comment on issue or PR `number` made at `at`; as on GitHub, it updates the item."""
        next_id = max((c.id for c in self.comments), default=1000) + 1
        comment = FakeComment(next_id, number, body, at, at, user)
        self.comments.append(comment)
        target = self.item(number)
        target.updated_at = max(target.updated_at, at)
        return comment

    def edit(self, number: int, at: str, *, title: str | None = None, body: str | None = None) -> None:
        """Issue or PR `number`'s title or body edited at `at`, which updates the item."""
        target = self.item(number)
        target.title = target.title if title is None else title
        target.body = target.body if body is None else body
        target.updated_at = max(target.updated_at, at)

    def comment_counts(self) -> Counter[int]:
        """Comments per issue or PR number (one pass; a list response asks for all of them)."""
        return Counter(c.issue_number for c in self.comments)


@dataclass
class World:
    repos: dict[str, FakeRepo] = field(default_factory=dict)

    def add(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.full_name.lower()] = repo
        return repo

    def get(self, full_name: str) -> FakeRepo | None:
        return self.repos.get(full_name.lower())


def _user(login: str, base: str) -> dict[str, Any]:
    return {
        "login": login,
        "id": crc32(login.encode()) % 10**6,
        "type": "User",
        "url": f"{base}/users/{login}",
    }


def repo_json(repo: FakeRepo, base: str) -> dict[str, Any]:
    owner, name = repo.full_name.split("/", 1)
    return {
        "id": crc32(repo.full_name.encode()) % 10**8,
        "name": name,
        "full_name": repo.full_name,
        "owner": _user(owner, base),
        "private": repo.private,
        "html_url": f"https://github.com/{repo.full_name}",
        "url": f"{base}/repos/{repo.full_name}",
        "clone_url": repo.clone_url,
        "default_branch": repo.default_branch,
    }


def _issue_urls(repo: FakeRepo, number: int, base: str, page: str = "issues") -> dict[str, str]:
    """An item's URLs in the issues API; `page` is "pull" for a PR, whose page is under /pull/."""
    return {
        "url": f"{base}/repos/{repo.full_name}/issues/{number}",
        "html_url": f"https://github.com/{repo.full_name}/{page}/{number}",
        "comments_url": f"{base}/repos/{repo.full_name}/issues/{number}/comments",
    }


def _listed_item(
    repo: FakeRepo, item: FakeIssue | FakePull, base: str, comments: int, page: str
) -> dict[str, Any]:
    """The fields the issues list gives an issue and a pull request alike."""
    return {
        "id": item.number + 10**6,
        "number": item.number,
        "title": item.title,
        "body": item.body,
        "state": item.state,
        "user": _user(item.user, base),
        "labels": [],
        "comments": comments,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
        **_issue_urls(repo, item.number, base, page=page),
    }


def issue_json(repo: FakeRepo, issue: FakeIssue, base: str, comments: int) -> dict[str, Any]:
    return _listed_item(repo, issue, base, comments, page="issues")


def pull_as_issue_json(repo: FakeRepo, pull: FakePull, base: str, comments: int) -> dict[str, Any]:
    """A pull request as the issues list shows it (GitHub lists PRs among issues)."""
    return {
        **_listed_item(repo, pull, base, comments, page="pull"),
        "pull_request": {
            "url": f"{base}/repos/{repo.full_name}/pulls/{pull.number}",
            "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}",
            "diff_url": f"https://github.com/{repo.full_name}/pull/{pull.number}.diff",
            "patch_url": f"https://github.com/{repo.full_name}/pull/{pull.number}.patch",
            **({"merged_at": pull.merged_at} if repo.issues_list_merged_at else {}),
        },
    }


def pull_json(repo: FakeRepo, pull: FakePull, base: str) -> dict[str, Any]:
    """A pull request as the pulls *list* shows it (no merged/comments/additions fields)."""
    owner = repo.full_name.split("/", 1)[0]
    return {
        "id": pull.number + 2 * 10**6,
        "number": pull.number,
        "state": pull.state,
        "title": pull.title,
        "body": pull.body,
        "user": _user(pull.user, base),
        "created_at": pull.created_at,
        "updated_at": pull.updated_at,
        "closed_at": pull.closed_at,
        "merged_at": pull.merged_at,
        "merge_commit_sha": pull.merge_commit_sha,
        "draft": False,
        "url": f"{base}/repos/{repo.full_name}/pulls/{pull.number}",
        "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}",
        "issue_url": f"{base}/repos/{repo.full_name}/issues/{pull.number}",
        "head": {"label": f"{owner}:{pull.head_ref}", "ref": pull.head_ref, "sha": pull.head_sha},
        "base": {"label": f"{owner}:{pull.base_ref}", "ref": pull.base_ref, "sha": pull.base_sha},
    }


def comment_json(repo: FakeRepo, comment: FakeComment, base: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "body": comment.body,
        "user": _user(comment.user, base),
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "url": f"{base}/repos/{repo.full_name}/issues/comments/{comment.id}",
        "html_url": f"https://github.com/{repo.full_name}/issues/{comment.issue_number}#issuecomment-{comment.id}",
        "issue_url": f"{base}/repos/{repo.full_name}/issues/{comment.issue_number}",
    }
