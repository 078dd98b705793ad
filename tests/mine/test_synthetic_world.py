"""The synthetic world generator against the miner: planted candidates found, list pages only."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest

from swegym_build.mine.decide import NO_CODE_CHANGE, NO_LINKED_ISSUE, NO_TEST_CHANGE, NOT_MERGED
from swegym_build.mine.listing import iso
from swegym_build.mine.miner import MineSummary
from swegym_build.state import StateStore
from swegym_build.testing.fakegithub import FakeGitHub, World
from swegym_build.testing.fakegithub.server import RequestRecord
from swegym_build.testing.fakegithub.synthetic import (
    CANDIDATE,
    CLOSED_UNMERGED,
    COMMENTED_OUT,
    LINKS_PULL,
    MENTION_ONLY,
    NO_REFERENCE,
    NO_TESTS,
    ONLY_TESTS,
    OPEN,
    OTHER_REPOSITORY,
    REPO_NAME,
    SyntheticTruth,
    build_synthetic_world,
    grow_synthetic_world,
)
from swegym_build.workspace import Workspace
from tests.mine.helpers import raw_instances, run_mine

PULLS, ISSUES = 60, 60
EXPECTED_REASON = {
    NO_TESTS: NO_TEST_CHANGE,
    ONLY_TESTS: NO_CODE_CHANGE,
    NO_REFERENCE: NO_LINKED_ISSUE,
    MENTION_ONLY: NO_LINKED_ISSUE,
    OTHER_REPOSITORY: NO_LINKED_ISSUE,
    LINKS_PULL: NO_LINKED_ISSUE,
    COMMENTED_OUT: NO_LINKED_ISSUE,
    CLOSED_UNMERGED: NOT_MERGED,
    OPEN: NOT_MERGED,
}
LIST_PATHS = {
    f"/repos/{REPO_NAME}",
    f"/repos/{REPO_NAME}/issues",
    f"/repos/{REPO_NAME}/issues/comments",
}


# Every landing often enough to be in a 60-PR world (a fast-forward is rare on real projects).
LANDINGS = (("merge", 0.3), ("squash", 0.3), ("rebase", 0.2), ("fast_forward", 0.2))


def _build(dest: Path, seed: int = 11) -> tuple[World, SyntheticTruth]:
    return build_synthetic_world(
        dest,
        pulls=PULLS,
        issues=ISSUES,
        comments_per_issue=1.5,
        comments_per_pull=1.0,
        seed=seed,
        landings=LANDINGS,
    )


@pytest.fixture
def synthetic(tmp_path: Path) -> tuple[World, SyntheticTruth]:
    return _build(tmp_path / "world")


def _assert_kept_as_planted(workspace: Workspace, truth: SyntheticTruth) -> None:
    kept = {i.pull_number: i for i in raw_instances(workspace, REPO_NAME) if i.pull_number in truth.kinds}
    assert sorted(kept) == sorted(truth.candidates)
    for number, planted in truth.candidates.items():
        assert tuple(kept[number].issue_numbers) == planted.issue_numbers, number
        assert kept[number].hints_text == "\n".join(planted.hints), number


def test_world_has_the_requested_shape_and_a_realistic_mix(synthetic: tuple[World, SyntheticTruth]) -> None:
    world, truth = synthetic
    repo = world.get(REPO_NAME)
    assert repo is not None
    assert (len(repo.pulls), len(repo.issues)) == (PULLS, ISSUES)
    assert sorted([*repo.pulls, *repo.issues]) == list(range(1, PULLS + ISSUES + 1))
    assert sorted(truth.kinds) == sorted(repo.pulls)
    assert truth.candidates and len(set(truth.kinds.values())) >= 6
    assert any(c.hints for c in truth.candidates.values())
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)"],
        cwd=repo.clone_url,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert sorted(refs) == sorted(["refs/heads/main", *(f"refs/pull/{n}/head" for n in repo.pulls)])


def test_same_seed_same_world(tmp_path: Path, synthetic: tuple[World, SyntheticTruth]) -> None:
    world, truth = synthetic
    again, again_truth = _build(tmp_path / "again")
    assert again_truth == truth
    first, second = world.get(REPO_NAME), again.get(REPO_NAME)
    assert first is not None and second is not None
    assert [p.head_sha for p in first.pulls.values()] == [p.head_sha for p in second.pulls.values()]
    assert first.comments == second.comments


def test_miner_keeps_exactly_the_planted_candidates_with_list_requests_only(
    synthetic: tuple[World, SyntheticTruth], tmp_path: Path
) -> None:
    """List pages only, except one request per fast-forwarded PR, whose base git cannot tell."""
    world, truth = synthetic
    workspace = Workspace.resolve(tmp_path / "ws")
    with FakeGitHub(world) as fake:
        summary = run_mine(fake, workspace, repo=REPO_NAME)
        paths = [r.path for r in fake.requests]

    _assert_kept_as_planted(workspace, truth)
    rejected = {
        int(r.instance_id.rsplit("-", 1)[1]): r.reason
        for r in StateStore(workspace.state_db).records("mine")
        if r.status == "rejected"
    }
    assert rejected == {n: EXPECTED_REASON[kind] for n, kind in truth.kinds.items() if kind != CANDIDATE}

    fast_forwarded = sorted(n for n, landing in truth.landings.items() if landing == "fast_forward")
    assert set(truth.landings.values()) == {"merge", "squash", "rebase", "fast_forward"}
    asked = sorted(int(p.rsplit("/", 1)[1]) for p in paths if p not in LIST_PATHS)
    assert asked == fast_forwarded and summary.bases_asked == len(fast_forwarded)
    assert [p for p in paths if p not in LIST_PATHS] == [f"/repos/{REPO_NAME}/pulls/{n}" for n in asked]
    comment_pages = paths.count(f"/repos/{REPO_NAME}/issues/comments")
    assert summary.hint_plan.strategy == "repo_wide"
    assert 1 <= comment_pages <= summary.hint_plan.estimated_requests
    list_pages = 1 + math.ceil((PULLS + ISSUES) / 100)
    assert len(paths) == summary.api.sent == list_pages + comment_pages + len(fast_forwarded)


def test_base_commits_match_the_forks_github_records_for_every_landing(
    synthetic: tuple[World, SyntheticTruth], tmp_path: Path
) -> None:
    world, truth = synthetic
    workspace = Workspace.resolve(tmp_path / "ws")
    with FakeGitHub(world) as fake:
        run_mine(fake, workspace, repo=REPO_NAME)
    repo = world.get(REPO_NAME)
    assert repo is not None
    kept = {i.pull_number: i for i in raw_instances(workspace, REPO_NAME)}
    landed = {truth.landings[n] for n in kept}
    assert landed == {"merge", "squash", "rebase", "fast_forward"}, landed
    for number, instance in kept.items():
        pull = repo.pulls[number]
        # What the pulls API's base sha gives: the fork point of the head from main at merge time.
        expected = subprocess.run(
            ["git", "merge-base", pull.head_sha, pull.base_sha],
            cwd=repo.clone_url,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        assert instance.base_commit == expected, (number, truth.landings[number])


def _mine_grow_and_mine_again(
    world: World, workspace: Workspace, **growth: float
) -> tuple[MineSummary, SyntheticTruth, list[RequestRecord]]:
    """Mine the world, grow it (`grow_synthetic_world` arguments), mine again: the second run,
    the truth about the new pull requests, and the requests the second run sent."""
    repo = world.get(REPO_NAME)
    assert repo is not None
    with FakeGitHub(world) as fake:
        run_mine(fake, workspace, repo=REPO_NAME)
        new = grow_synthetic_world(repo, **growth)
        fake.reset_counter()
        summary = run_mine(fake, workspace, repo=REPO_NAME)
        return summary, new, list(fake.requests)


def test_grown_world_mines_only_the_new_candidates(
    synthetic: tuple[World, SyntheticTruth], tmp_path: Path
) -> None:
    world, _ = synthetic
    workspace = Workspace.resolve(tmp_path / "ws")
    summary, new, requests = _mine_grow_and_mine_again(
        world, workspace, pulls=15, issues=10, comments_per_issue=1.5, comments_per_pull=1, seed=12
    )

    assert min(new.kinds) > PULLS + ISSUES and len(new.kinds) == 15
    assert summary.already_done == PULLS
    # One page of what changed since the first run, not the whole list again.
    listed = [r for r in requests if r.path == f"/repos/{REPO_NAME}/issues"]
    assert len(listed) == 1 and "since=" in listed[0].query
    assert summary.kept == len(new.candidates) > 0
    _assert_kept_as_planted(workspace, new)


def test_new_pulls_after_a_full_last_page_are_seen(tmp_path: Path) -> None:
    # 100 PRs and 100 issues fill the issues list's two pages; new PRs go on a page 3 the first run never saw.
    world, _ = build_synthetic_world(
        tmp_path / "world", pulls=100, issues=100, comments_per_issue=0.5, comments_per_pull=0.5, seed=3
    )
    workspace = Workspace.resolve(tmp_path / "ws")
    summary, new, _ = _mine_grow_and_mine_again(
        world, workspace, pulls=20, issues=5, comments_per_issue=0.5, comments_per_pull=0.5, seed=4
    )

    assert summary.scanned == 120
    _assert_kept_as_planted(workspace, new)


def test_comments_of_old_issues_asked_one_by_one_and_the_recent_stretch_paged(tmp_path: Path) -> None:
    # A busy old history, then a busy new stretch whose fixes link mostly new issues (a few old
    # ones too): the old linked issues are asked one by one, and the comment list is paged only
    # from the oldest new one (`since`), cheaper than either way alone.
    world, _ = build_synthetic_world(
        tmp_path / "world", pulls=150, issues=150, comments_per_issue=4, comments_per_pull=4, seed=5
    )
    workspace = Workspace.resolve(tmp_path / "ws")
    summary, new, requests = _mine_grow_and_mine_again(
        world, workspace, pulls=100, issues=100, comments_per_issue=3, comments_per_pull=3, seed=6
    )
    repo = world.get(REPO_NAME)
    assert repo is not None

    _assert_kept_as_planted(workspace, new)
    chosen = summary.hint_plan
    assert chosen.strategy == "mixed" and chosen.since is not None
    listed = [r for r in requests if r.path == f"/repos/{REPO_NAME}/issues/comments"]
    asked = [int(r.path.split("/")[-2]) for r in requests if r.path.endswith("/comments") and r not in listed]
    assert sorted(asked) == list(chosen.per_issue)
    assert all("since=" in r.query for r in listed)
    linked = {n for planted in new.candidates.values() for n in planted.issue_numbers}
    commented = {c.issue_number for c in repo.comments} & linked
    since = iso(chosen.since)
    assert {n for n in commented if repo.issues[n].created_at < since} == set(asked)
    assert len(asked) + len(listed) <= chosen.estimated_requests
    assert chosen.estimated_requests < min(len(commented), math.ceil(len(repo.comments) / 100))
