"""The mine stage on the sample world, through PyGithub, the real HTTP stack and a real git mirror."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import quote

from swegym_build.state import StateStore
from swegym_build.testing.fakegithub import FakeGitHub, FakeIssue, FakePull
from swegym_build.workspace import Workspace
from tests.mine.helpers import raw_instances, run_mine

REPO = "swegym-demo/calculator"
EXPECTED_KEPT = [2, 10, 13, 15, 21, 23, 25]
EXPECTED_REJECTED = {
    4: "no_test_change",
    6: "not_merged",
    7: "no_linked_issue",
    8: "no_linked_issue",
    16: "no_linked_issue",
    18: "no_code_change",
    19: "not_merged",
}


def _git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=mirror, check=True, capture_output=True, text=True).stdout


def test_sample_world_yields_exactly_the_expected_candidates(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    summary = run_mine(fake_github, workspace)

    assert [i.pull_number for i in raw_instances(workspace)] == EXPECTED_KEPT
    state = StateStore(workspace.state_db)
    rejected = {
        int(r.instance_id.rsplit("-", 1)[1]): r.reason
        for r in state.records("mine")
        if r.status == "rejected"
    }
    assert rejected == EXPECTED_REJECTED
    assert summary.outcomes["kept"] == 7
    assert summary.outcomes["no_linked_issue"] == 3


def test_good_fix_instance_fields(fake_github: FakeGitHub, workspace: Workspace) -> None:
    run_mine(fake_github, workspace)
    good = next(i for i in raw_instances(workspace) if i.pull_number == 2)
    pull = fake_github.world.get(REPO).pulls[2]

    assert good.instance_id == "swegym-demo__calculator-2"
    assert good.repo == REPO
    assert good.issue_numbers == [1]
    assert good.created_at == pull.created_at
    mirror = workspace.mirror_dir(REPO)
    assert good.base_commit == _git(mirror, "merge-base", pull.head_sha, pull.base_sha).strip()
    assert good.problem_statement.startswith(
        "divide() by zero raises a bare ZeroDivisionError\nDividing by zero"
    )
    # The comment made before the PR's first commit is a hint; the one after it is not.
    assert good.hints_text == "I can reproduce this on 0.1.0; ops.divide has no check at all."
    assert "diff --git a/calculator/ops.py" in good.patch and "tests/" not in good.patch
    assert "diff --git a/tests/test_ops.py" in good.test_patch and "calculator/ops.py" not in good.test_patch


def test_patches_apply_on_base_commit_and_rebuild_the_pr_head(
    fake_github: FakeGitHub, workspace: Workspace, tmp_path: Path
) -> None:
    run_mine(fake_github, workspace)
    mirror = workspace.mirror_dir(REPO)
    for instance in raw_instances(workspace):
        checkout = tmp_path / instance.instance_id
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(mirror), str(checkout)], check=True)
        _git(checkout, "checkout", "-q", instance.base_commit)
        for name, text in (("test.patch", instance.test_patch), ("fix.patch", instance.patch)):
            (tmp_path / name).write_text(text)
            _git(checkout, "apply", "--binary", str(tmp_path / name))
        _git(checkout, "add", "-A")
        head = fake_github.world.get(REPO).pulls[instance.pull_number].head_sha
        assert (
            _git(checkout, "write-tree").strip() == _git(mirror, "rev-parse", f"{head}^{{tree}}").strip()
        ), instance.instance_id


def test_link_only_in_commit_message_and_two_linked_issues(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    run_mine(fake_github, workspace)
    by_pull = {i.pull_number: i for i in raw_instances(workspace)}
    assert by_pull[10].issue_numbers == [9]
    assert by_pull[13].issue_numbers == [11, 12]
    statement = by_pull[13].problem_statement
    assert statement.index("multiply(2.5, 2) returns 4") < statement.index("evaluate('1.5 * 2') gives 2")
    assert "GIT binary patch" in by_pull[13].test_patch


def test_rejections_name_their_reason(fake_github: FakeGitHub, workspace: Workspace) -> None:
    run_mine(fake_github, workspace)
    details = {r.instance_id: r.detail for r in StateStore(workspace.state_db).records("mine")}
    assert "other-org/other-repo#5 is in another repository" in details["swegym-demo__calculator-7"]
    assert "#2 is a pull request" in details["swegym-demo__calculator-8"]
    assert details["swegym-demo__calculator-6"] == "closed without merging"
    assert details["swegym-demo__calculator-19"] == "still open"


def test_no_per_pr_requests(fake_github: FakeGitHub, workspace: Workspace) -> None:
    summary = run_mine(fake_github, workspace)
    paths = [r.path for r in fake_github.requests]
    assert not [p for p in paths if "/pulls/" in p or p.rstrip("/").split("/")[-1].isdigit()], paths
    # The repository, one page of the issues list (PRs included), one page of comments.
    assert len(paths) == 3
    assert summary.api.sent == 3
    assert summary.bases_asked == 0


def test_rerun_lists_only_since_the_mark_and_writes_nothing_new(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    run_mine(fake_github, workspace)
    before = workspace.raw_file(REPO).read_bytes()
    fake_github.reset_counter()

    summary = run_mine(fake_github, workspace)

    # The repository (304), and one page of the issues list from the first run's mark: the
    # newest update it saw, which `since` (at or after) returns again.
    repo = fake_github.world.get(REPO)
    newest = max(item.updated_at for item in (*repo.issues.values(), *repo.pulls.values()))
    issues = [r for r in fake_github.requests if r.path == f"/repos/{REPO}/issues"]
    assert len(fake_github.requests) == 2 and len(issues) == 1
    assert f"since={quote(newest)}" in issues[0].query
    assert fake_github.count(path_contains="/comments") == 0
    assert summary.already_done == 14 and summary.kept == 0
    assert workspace.raw_file(REPO).read_bytes() == before

    fake_github.reset_counter()
    third = run_mine(fake_github, workspace)

    # Nothing changed, so the mark did not move: the same two requests, both answered by 304s.
    assert fake_github.count(status=304) == len(fake_github.requests) == 2
    assert third.already_done == 14 and third.kept == 0
    assert workspace.raw_file(REPO).read_bytes() == before


def test_later_run_mines_only_what_is_new(
    fake_github: FakeGitHub, workspace: Workspace, tmp_path: Path
) -> None:
    run_mine(fake_github, workspace)
    before = workspace.raw_file(REPO).read_text()
    repo = fake_github.world.get(REPO)
    _add_pull(repo, tmp_path)
    fake_github.reset_counter()

    summary = run_mine(fake_github, workspace)

    assert summary.already_done == 14
    assert summary.kept == 1
    after = workspace.raw_file(REPO).read_text()
    assert after.startswith(before)
    assert [i.pull_number for i in raw_instances(workspace)] == [*EXPECTED_KEPT, 27]


def test_fast_forwarded_pull_costs_one_request_for_its_base(
    fake_github: FakeGitHub, workspace: Workspace, tmp_path: Path
) -> None:
    repo = fake_github.world.get(REPO)
    base = _add_pull(repo, tmp_path, fast_forward=True)

    summary = run_mine(fake_github, workspace)

    paths = [r.path for r in fake_github.requests]
    assert [p for p in paths if "/pulls" in p] == [f"/repos/{REPO}/pulls/27"]
    assert summary.bases_asked == 1
    added = next(i for i in raw_instances(workspace) if i.pull_number == 27)
    assert added.base_commit == base
    assert "calculator/square.py" in added.patch and "tests/test_square.py" in added.test_patch


def test_issues_list_without_merged_at_falls_back_to_the_pulls_list(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    fake_github.world.get(REPO).issues_list_merged_at = False  # as older GitHub Enterprise servers

    summary = run_mine(fake_github, workspace)

    assert [i.pull_number for i in raw_instances(workspace)] == EXPECTED_KEPT
    paths = [r.path for r in fake_github.requests]
    assert paths.count(f"/repos/{REPO}/pulls") == 1
    assert summary.api.sent == 4


def _add_pull(repo, tmp_path: Path, fast_forward: bool = False) -> str:
    """Issue #26 and a merged PR #27 fixing it, pushed into the world's bare repository; returns
    the PR's base. `fast_forward`: main is moved to the PR's head, as a maintainer's push does."""
    work = tmp_path / "newpr"
    subprocess.run(["git", "clone", "-q", repo.clone_url, str(work)], check=True)
    env_git = ["git", "-c", "user.name=x", "-c", "user.email=x@example.invalid"]
    base = _git(work, "rev-parse", "HEAD").strip()
    (work / "calculator" / "square.py").write_text("def square(x):\n    return x * x\n")
    (work / "tests" / "test_square.py").write_text(
        "from calculator.square import square\n\n\ndef test_square():\n    assert square(3) == 9\n"
    )
    subprocess.run([*env_git, "add", "-A"], cwd=work, check=True)
    subprocess.run([*env_git, "commit", "-q", "-m", "Add square"], cwd=work, check=True)
    head = _git(work, "rev-parse", "HEAD").strip()
    subprocess.run(["git", "push", "-q", repo.clone_url, f"{head}:refs/pull/27/head"], cwd=work, check=True)
    if fast_forward:
        subprocess.run(["git", "push", "-q", repo.clone_url, f"{head}:refs/heads/main"], cwd=work, check=True)
    repo.issues[26] = FakeIssue(
        26, "Add square()", "Please add square.", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"
    )
    repo.pulls[27] = FakePull(
        number=27,
        title="Add square",
        body="Closes #26",
        created_at="2024-01-02T00:00:00Z",
        updated_at="2024-01-02T01:00:00Z",
        head_ref="square",
        head_sha=head,
        base_ref="main",
        base_sha=base,
        closed_at="2024-01-02T01:00:00Z",
        merged_at="2024-01-02T01:00:00Z",
        merge_commit_sha=head,
    )
    return base
