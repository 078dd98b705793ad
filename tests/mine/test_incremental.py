"""Re-runs that page the issues list only from the last complete run's mark (GitHub's `since`)."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from swegym_build.mine.known import CLOCK_SLACK, KnownItems, high_water_mark
from swegym_build.mine.listing import IssueItem
from swegym_build.testing.fakegithub import FakeGitHub, Fault
from swegym_build.testing.fakegithub.synthetic import REPO_NAME, build_synthetic_world, grow_synthetic_world
from swegym_build.workspace import Workspace
from tests.mine.helpers import raw_instances, run_mine

REPO = "swegym-demo/calculator"
LATER = "2023-06-01T00:00:00Z"  # after everything in the sample world


def _moment(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("issue_commented", [False, True], ids=["issue-untouched", "issue-commented"])
def test_pull_updated_after_the_mark_is_decided_again_with_its_old_issue_and_hints(
    fake_github: FakeGitHub, workspace: Workspace, issue_commented: bool
) -> None:
    """PR #7 (rejected: it names another repository's issue) is edited to close issue #1, which
    `since` does not return unless it was commented on too: its title, body and comments must
    still make the problem statement and the hints, and a comment made after the PR's first
    commit is not a hint."""
    run_mine(fake_github, workspace)
    repo = fake_github.world.get(REPO)
    assert repo is not None
    repo.edit(7, LATER, body="Fixes #1")
    if issue_commented:
        repo.add_comment(1, "Still seen on 0.2.0, long after #7 began.", LATER)
    fake_github.reset_counter()

    summary = run_mine(fake_github, workspace)

    assert summary.kept == 1 and summary.already_done == 13
    added = next(i for i in raw_instances(workspace) if i.pull_number == 7)
    assert added.issue_numbers == [1]
    assert added.problem_statement == f"{repo.issues[1].title}\n{repo.issues[1].body}\n"
    head = repo.pulls[7].head_sha
    first_commit = datetime.fromtimestamp(
        int(subprocess.run(["git", "log", "-1", "--format=%at", head], cwd=repo.clone_url,
                           check=True, capture_output=True, text=True).stdout),
        timezone.utc,
    )  # fmt: skip
    hints = [c.body for c in repo.comments if c.issue_number == 1 and _moment(c.created_at) < first_commit]
    assert len(hints) == 2 and added.hints_text == "\n".join(hints)
    listed = [r for r in fake_github.requests if r.path == f"/repos/{REPO}/issues"]
    assert len(listed) == 1 and "since=" in listed[0].query


@pytest.mark.parametrize(
    "fault",
    [
        # The second page of the issues list since the mark never answers.
        Fault(
            "status", status=503, times=100, path_contains="/issues", query_contains=("state=all", "page=2")
        ),
        # The listing is done and stored, the PRs decided; then the comments never come.
        Fault("status", status=503, times=100, path_contains="/issues/comments"),
    ],
    ids=["during-listing", "after-listing"],
)
def test_interrupted_run_leaves_the_mark_and_the_next_run_finds_everything(
    tmp_path: Path, fault: Fault
) -> None:
    world, _ = build_synthetic_world(
        tmp_path / "world", pulls=40, issues=40, comments_per_issue=1.5, comments_per_pull=1, seed=21
    )
    repo = world.get(REPO_NAME)
    assert repo is not None
    workspace = Workspace.resolve(tmp_path / "ws")
    known = KnownItems(workspace.known_items_db(REPO_NAME))
    with FakeGitHub(world) as fake:
        run_mine(fake, workspace, repo=REPO_NAME)
        mark = known.mark()
        assert mark is not None
        # More than a page of new items, linking the issues they fix, some of them old.
        new = grow_synthetic_world(
            repo, pulls=80, issues=60, comments_per_issue=1.5, comments_per_pull=1, seed=22
        )
        assert new.candidates

        fake.inject(fault)
        with pytest.raises(Exception, match="HTTP 503"):
            run_mine(fake, workspace, repo=REPO_NAME)
        assert known.mark() == mark
        fake.faults.clear()

        summary = run_mine(fake, workspace, repo=REPO_NAME)

    kept = {i.pull_number: i for i in raw_instances(workspace, REPO_NAME) if i.pull_number in new.kinds}
    assert sorted(kept) == sorted(new.candidates)
    for number, planted in new.candidates.items():
        assert tuple(kept[number].issue_numbers) == planted.issue_numbers, number
        assert kept[number].hints_text == "\n".join(planted.hints), number
    assert summary.scanned == 120
    later = known.mark()
    assert later is not None and later > mark


def test_mark_is_the_newest_update_but_never_within_the_slack_of_the_listing_start() -> None:
    """An item updated while the pages were read may have been read before the change: the
    next listing starts early enough to catch it, whatever the server's clock says."""
    started = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)

    def item(number: int, updated: datetime) -> IssueItem:
        return IssueItem(number, "t", "b", 0, updated - timedelta(days=1), updated)

    old = [item(1, started - timedelta(days=3)), item(2, started - timedelta(days=2))]
    assert high_water_mark(old, started) == started - timedelta(days=2)
    busy = [*old, item(3, started - timedelta(seconds=30)), item(4, started + timedelta(seconds=5))]
    assert high_water_mark(busy, started) == started - CLOCK_SLACK
    assert high_water_mark([], started) is None
