"""The issues list read into issues and pull requests, through PyGithub and real HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from swegym_build.github.client import open_github
from swegym_build.github.http_cache import HttpCache
from swegym_build.github.transport import ApiStats, GitHubTransport
from swegym_build.mine.listing import IssuesList, list_repo_comments, read_issues_list
from swegym_build.testing.fakegithub import FakeComment, FakeGitHub, FakeIssue, FakePull, FakeRepo, World

STAMP = "2024-03-01T10:00:00Z"


def _world(full_name: str) -> World:
    repo = FakeRepo(full_name=full_name, clone_url="/nonexistent")
    repo.issues[1] = FakeIssue(1, "A bug", "It breaks.", STAMP, STAMP)
    repo.pulls[2] = FakePull(
        number=2,
        title="Fix the bug",
        body="Fixes #1",
        created_at=STAMP,
        updated_at=STAMP,
        head_ref="fix",
        head_sha="0" * 40,
        base_ref="main",
        base_sha="0" * 40,
        merged_at="2024-03-01T12:00:00Z",
    )
    repo.comments.append(FakeComment(5, 1, "Seen it too.", "2024-03-01T10:30:00Z", "2024-03-01T10:30:00Z"))
    world = World()
    world.add(repo)
    return world


def _repo(fake: FakeGitHub, tmp_path: Path, full_name: str):
    transport = GitHubTransport(cache=HttpCache(tmp_path / "cache.sqlite"), stats=ApiStats())
    return open_github(fake.url, transport, None).get_repo(full_name)


def test_prs_are_told_apart_even_in_a_repository_named_pull(tmp_path: Path) -> None:
    # Every item's URL contains "/pull/" here; only a PR's ends in "/pull/<its number>".
    with FakeGitHub(_world("pull/pull")) as fake:
        page = read_issues_list(_repo(fake, tmp_path, "pull/pull"))
        paths = [r.path for r in fake.requests]

    listing = IssuesList.of({item.number: item for item in page.items})
    assert sorted(listing.issues) == [1]
    assert [p.number for p in listing.pulls] == [2]
    assert listing.pulls[0].merged_at == datetime(2024, 3, 1, 12, tzinfo=timezone.utc)
    assert not page.merged_at_missing
    assert paths == ["/repos/pull/pull", "/repos/pull/pull/issues"]  # nothing fetched per item


def test_comment_list_since_is_sent_in_utc(tmp_path: Path) -> None:
    # 11:29:59+01:00 is 10:29:59 UTC: the comment of 10:30 UTC is after it and must come back.
    since = datetime(2024, 3, 1, 11, 29, 59, tzinfo=timezone(timedelta(hours=1)))
    with FakeGitHub(_world("acme/tool")) as fake:
        comments = list(list_repo_comments(_repo(fake, tmp_path, "acme/tool"), since=since, until=None))
        query = fake.requests[-1].query

    assert [c.body for c in comments] == ["Seen it too."]
    assert "since=2024-03-01T10%3A29%3A58Z" in query  # UTC, one second early
