"""The fake GitHub's issues list behaves as GitHub documents it: the miner's re-runs rely on it."""

from __future__ import annotations

import requests

from swegym_build.testing.fakegithub import FakeGitHub, FakeIssue, FakePull, FakeRepo, World

REPO = "acme/tool"


def _world() -> tuple[World, FakeRepo]:
    repo = FakeRepo(full_name=REPO, clone_url="/nonexistent")
    # One number space rising with time; #2 was updated last (merged), #3 is an open issue.
    repo.issues[1] = FakeIssue(1, "Bug", "It breaks.", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z")
    repo.pulls[2] = FakePull(
        number=2,
        title="Fix",
        body="Fixes #1",
        created_at="2024-01-02T00:00:00Z",
        updated_at="2024-01-05T00:00:00Z",
        head_ref="fix",
        head_sha="0" * 40,
        base_ref="main",
        base_sha="0" * 40,
        merged_at="2024-01-05T00:00:00Z",
    )
    repo.issues[3] = FakeIssue(3, "Idea", "Maybe.", "2024-01-03T00:00:00Z", "2024-01-03T00:00:00Z")
    world = World()
    world.add(repo)
    return world, repo


def _numbers(fake: FakeGitHub, **params: str) -> list[int]:
    response = requests.get(f"{fake.url}/repos/{REPO}/issues", params={"state": "all", **params}, timeout=10)
    response.raise_for_status()
    return [item["number"] for item in response.json()]


def test_issues_list_sorts_filters_and_pages_as_github_documents() -> None:
    world, repo = _world()
    with FakeGitHub(world) as fake:
        assert _numbers(fake) == [3, 2, 1]  # PRs among issues; newest created first by default
        assert _numbers(fake, direction="asc") == [1, 2, 3]
        assert _numbers(fake, sort="updated") == [2, 3, 1]
        # `since`: updated at or after the moment.
        assert _numbers(fake, since="2024-01-03T00:00:00Z", direction="asc") == [2, 3]

        repo.add_comment(1, "Still broken.", "2024-01-06T00:00:00Z")
        assert _numbers(fake, since="2024-01-06T00:00:00Z") == [1]  # a comment updates its issue
        first = requests.get(
            f"{fake.url}/repos/{REPO}/issues",
            params={"state": "all", "per_page": 2, "direction": "asc"},
            timeout=10,
        )

    assert [item["comments"] for item in first.json()] == [1, 0]
    assert "page=2" in first.headers["Link"] and 'rel="next"' in first.headers["Link"]


def test_an_item_created_while_a_client_pages_joins_the_later_pages() -> None:
    world, repo = _world()
    with FakeGitHub(world) as fake:
        assert _numbers(fake, direction="asc", per_page="2") == [1, 2]
        repo.issues[4] = FakeIssue(4, "New", "Just now.", "2024-01-07T00:00:00Z", "2024-01-07T00:00:00Z")
        assert _numbers(fake, direction="asc", per_page="2", page="2") == [3, 4]
