"""Base commits of merged PRs from a real git history, for every way GitHub (or a maintainer) lands one.

Each test builds a small repository with the git CLI the way the landing leaves it on GitHub:
`refs/pull/<N>/head` for the PR's head, branches for what was merged, then mirrors it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from swegym_build.mine.bases import BaseFinder
from swegym_build.mine.mirror import Mirror
from tests.versions.githistory import FIXED_ENV


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.clock = 1_700_000_000
        self.git("init", "-q", "-b", "main")
        self.commit("initial")

    def git(self, *args: str) -> str:
        self.clock += 60
        stamp = f"{self.clock} +0000"
        env = {**os.environ, **FIXED_ENV, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def commit(self, name: str, message: str | None = None) -> str:
        (self.path / f"{name}.txt").write_text(f"{name}\n")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message or name)
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str = "main") -> str:
        self.git("checkout", "-q", "-b", name, start)
        return self.git("rev-parse", "HEAD")

    def pull(self, number: int, start: str = "main", commits: int = 2) -> tuple[str, str]:
        """A PR branch forked from `start` with `commits` commits: (fork point, head)."""
        fork = self.branch(f"pr{number}", start)
        for i in range(commits):
            self.commit(f"pr{number}-{i}")
        head = self.git("rev-parse", "HEAD")
        self.git("update-ref", f"refs/pull/{number}/head", head)
        return fork, head

    def merge(self, number: int, into: str = "main") -> None:
        self.git("checkout", "-q", into)
        self.git(
            "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number} from pr{number}", f"pr{number}"
        )

    def squash(self, number: int, into: str = "main") -> str:
        self.git("checkout", "-q", into)
        self.git("merge", "-q", "--squash", f"pr{number}")
        self.git("commit", "-q", "-m", f"Fix the thing (#{number})\n\n* pr{number} work")
        return self.git("rev-parse", "HEAD")

    def rebase_merge(self, number: int, into: str = "main") -> None:
        """GitHub's "rebase and merge": copies of the PR's commits on the branch, no trace of #N."""
        self.git("checkout", "-q", into)
        fork = self.git("merge-base", into, f"pr{number}")
        for sha in self.git("rev-list", "--reverse", f"{fork}..pr{number}").split():
            self.git("cherry-pick", sha)

    def drop_branches(self, *names: str) -> None:
        self.git("checkout", "-q", "main")
        self.git("branch", "-q", "-D", *names)

    def mirror(self, dest: Path) -> Mirror:
        return Mirror.sync(dest, str(self.path))


class AskedBase:
    """Stands in for the API's answer (a PR's recorded base sha) and counts the asks."""

    def __init__(self, answers: dict[int, str | None] | None = None) -> None:
        self.answers, self.asked = answers or {}, []

    def __call__(self, number: int) -> str | None:
        self.asked.append(number)
        return self.answers[number]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    (tmp_path / "origin").mkdir()
    return Repo(tmp_path / "origin")


def _finder(repo: Repo, tmp_path: Path, ask: AskedBase | None = None) -> BaseFinder:
    mirror = repo.mirror(tmp_path / "mirror.git")
    return BaseFinder(mirror, "main", mirror.pull_heads(), ask or AskedBase())


def test_merge_commit_gives_the_fork_point_even_after_main_moved_on(repo: Repo, tmp_path: Path) -> None:
    fork, head = repo.pull(1)
    repo.git("checkout", "-q", "main")
    repo.commit("main-moves-on")
    repo.merge(1)
    repo.commit("later-on-main")
    repo.drop_branches("pr1")

    assert _finder(repo, tmp_path).base_commit(1, head) == fork


def test_merge_commit_of_a_pr_that_merged_main_into_itself(repo: Repo, tmp_path: Path) -> None:
    repo.pull(1, commits=1)
    repo.git("checkout", "-q", "main")
    synced = repo.commit("main-moves-on")
    repo.git("checkout", "-q", "pr1")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'main' into pr1", "main")
    repo.commit("pr1-after-sync")
    head = repo.git("rev-parse", "HEAD")
    repo.git("update-ref", "refs/pull/1/head", head)
    repo.merge(1)
    repo.drop_branches("pr1")

    assert _finder(repo, tmp_path).base_commit(1, head) == synced


def test_squash_into_main(repo: Repo, tmp_path: Path) -> None:
    fork, head = repo.pull(2)
    repo.git("checkout", "-q", "main")
    repo.commit("main-moves-on")
    repo.squash(2)
    repo.drop_branches("pr2")

    assert _finder(repo, tmp_path).base_commit(2, head) == fork


@pytest.mark.parametrize("deleted_but_tagged", [False, True], ids=["branch", "tag-of-deleted-branch"])
def test_squash_into_a_release_branch_forks_from_that_branch(
    repo: Repo, tmp_path: Path, deleted_but_tagged: bool
) -> None:
    repo.branch("release-1.x")
    release_tip = repo.commit("release-only-fix")
    repo.git("checkout", "-q", "main")
    repo.commit("main-feature")
    fork, head = repo.pull(3, start="release-1.x")
    assert fork == release_tip
    repo.squash(3, into="release-1.x")
    repo.drop_branches("pr3")
    if deleted_but_tagged:  # the release line lives on only in its tag
        repo.git("tag", "v1.0.1", "release-1.x")
        repo.drop_branches("release-1.x")

    # The default branch alone would give the older point where release-1.x left main, and the
    # patch would carry the release branch's own commits.
    assert _finder(repo, tmp_path).base_commit(3, head) == release_tip


def test_merge_into_a_branch_later_merged_into_main_and_deleted(repo: Repo, tmp_path: Path) -> None:
    repo.branch("next")
    next_tip = repo.commit("next-work")
    fork, head = repo.pull(4, start="next")
    assert fork == next_tip
    repo.merge(4, into="next")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'next'", "next")
    repo.drop_branches("pr4", "next")

    assert _finder(repo, tmp_path).base_commit(4, head) == next_tip


def test_rebase_merge_leaves_no_trace_and_the_default_tip_stands_in(repo: Repo, tmp_path: Path) -> None:
    fork, head = repo.pull(5)
    repo.git("checkout", "-q", "main")
    repo.commit("main-moves-on")
    repo.rebase_merge(5)
    repo.drop_branches("pr5")
    ask = AskedBase()

    assert _finder(repo, tmp_path, ask).base_commit(5, head) == fork
    assert ask.asked == []


def test_fast_forward_asks_the_api_for_that_pr_only(repo: Repo, tmp_path: Path) -> None:
    repo.branch("feature")
    repo.commit("feature-work")
    fork, fast_head = repo.pull(6)
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "pr6")
    _, merged_head = repo.pull(7)
    repo.merge(7)
    # A branch still open merges main into itself: the fast-forwarded head is now a merged parent
    # there, which must not be taken for PR 6's landing.
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge main into feature", fast_head)
    repo.drop_branches("pr6", "pr7")
    ask = AskedBase({6: fork})
    finder = _finder(repo, tmp_path, ask)

    assert finder.base_commit(6, fast_head) == fork
    assert finder.base_commit(7, merged_head) == fast_head
    assert ask.asked == [6] and finder.asked_api == [6]


def test_head_that_arrived_with_another_pr_asks_the_api(repo: Repo, tmp_path: Path) -> None:
    # PR 9 is stacked on PR 8: merging 9 brings 8's commits into main, and GitHub then shows 8 as
    # merged too, with no merge commit of its own.
    fork, head8 = repo.pull(8, commits=1)
    repo.git("checkout", "-q", "-b", "pr9", "pr8")
    repo.commit("pr9-0")
    repo.git("update-ref", "refs/pull/9/head", repo.git("rev-parse", "HEAD"))
    repo.merge(9)
    repo.drop_branches("pr8", "pr9")
    ask = AskedBase({8: fork})

    assert _finder(repo, tmp_path, ask).base_commit(8, head8) == fork
    assert ask.asked == [8]


def test_a_squash_cherry_picked_into_a_backport_branch_keeps_its_own_landing(
    repo: Repo, tmp_path: Path
) -> None:
    repo.branch("release-1.x")
    repo.commit("release-only-fix")
    repo.git("checkout", "-q", "main")
    repo.commit("main-feature")
    fork, head = repo.pull(10)
    squash = repo.squash(10)
    repo.git("checkout", "-q", "release-1.x")
    repo.git("cherry-pick", squash)  # same subject, "(#10)", on another branch, later
    repo.drop_branches("pr10")

    assert _finder(repo, tmp_path).base_commit(10, head) == fork


def test_pull_heads_come_from_refs_pull(repo: Repo, tmp_path: Path) -> None:
    _, head1 = repo.pull(1)
    _, head12 = repo.pull(12)

    heads = repo.mirror(tmp_path / "mirror.git").pull_heads()
    assert {number: head.sha for number, head in heads.items()} == {1: head1, 12: head12}


def test_a_later_backport_merge_of_the_branch_does_not_replace_the_squash(repo: Repo, tmp_path: Path) -> None:
    repo.branch("release-1.x")
    repo.git("checkout", "-q", "main")
    repo.commit("main-a")
    fork, head = repo.pull(1)
    repo.git("checkout", "-q", "main")
    repo.commit("main-b")
    repo.squash(1)
    repo.git("checkout", "-q", "release-1.x")
    repo.git("merge", "-q", "--no-ff", "-m", "Backport #1 to 1.x", "pr1")
    repo.drop_branches("pr1")

    assert _finder(repo, tmp_path).base_commit(1, head) == fork


def test_an_open_branch_that_merged_the_pr_into_itself_is_not_its_landing(repo: Repo, tmp_path: Path) -> None:
    start = repo.git("rev-parse", "main")
    repo.commit("main-a")
    fork, head = repo.pull(1)
    repo.branch("stacked", start)
    repo.commit("stacked-work")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'pr1' into stacked", "pr1")
    repo.squash(1)
    repo.drop_branches("pr1")

    assert _finder(repo, tmp_path).base_commit(1, head) == fork


def test_an_older_commit_with_the_same_number_in_its_subject_is_not_the_squash(
    repo: Repo, tmp_path: Path
) -> None:
    repo.commit("upstream-thing", "An upstream change (#6)")  # imported history, another #6
    repo.commit("more-upstream")
    fork, head = repo.pull(6)
    repo.git("checkout", "-q", "main")
    repo.commit("main-moves-on")
    repo.rebase_merge(6)
    repo.drop_branches("pr6")

    assert _finder(repo, tmp_path).base_commit(6, head) == fork


def test_a_pr_the_api_does_not_know_gets_no_base(repo: Repo, tmp_path: Path) -> None:
    _, head = repo.pull(6)
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "pr6")
    repo.drop_branches("pr6")

    assert _finder(repo, tmp_path, AskedBase({6: None})).base_commit(6, head) is None
