"""`swegym-build mine` as a user runs it: a real subprocess against the fake GitHub."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swegym_build.jsonl import read_jsonl
from swegym_build.testing.fakegithub import FakeGitHub

REPO = "swegym-demo/calculator"


def _command(fake: FakeGitHub, workdir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "swegym_build", "mine", "--repo", REPO, "--api-url", fake.url,
            "--workdir", str(workdir), *extra]  # fmt: skip


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "SWEGYM_WORKDIR")}
    return {**env, "COLUMNS": "200", **extra}


def test_mine_prints_progress_and_a_closing_table(fake_github: FakeGitHub, tmp_path: Path) -> None:
    result = subprocess.run(
        _command(fake_github, tmp_path / "ws"), env=_env(), capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert "14/14 PRs scanned" in result.stderr
    for reason, count in (("kept", 7), ("no_linked_issue", 3), ("not_merged", 2), ("no_test_change", 1)):
        assert any(
            reason in line and line.rstrip(" │").endswith(str(count)) for line in result.stderr.splitlines()
        )
    assert "requests per PR" in result.stderr
    rows = list(read_jsonl(tmp_path / "ws" / "raw" / "swegym-demo__calculator.jsonl"))
    assert len(rows) == 7

    status = subprocess.run(
        [sys.executable, "-m", "swegym_build", "status", "--workdir", str(tmp_path / "ws")],
        env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert status.returncode == 0 and "no_code_change" in status.stderr


@pytest.mark.parametrize("repo", ["nobody/nothing"])
def test_unknown_repository_is_one_clear_line_and_non_zero(
    fake_github: FakeGitHub, tmp_path: Path, repo: str
) -> None:
    command = _command(fake_github, tmp_path / "ws")
    command[command.index(REPO)] = repo
    result = subprocess.run(command, env=_env(), capture_output=True, text=True)

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: repository {repo} at {fake_github.url} not found (or the token cannot see it)"]
    assert "Traceback" not in result.stderr


def test_kill_9_at_any_moment_then_rerun_gives_the_same_file(fake_github: FakeGitHub, tmp_path: Path) -> None:
    # Slow answers stretch the run so kills land in every phase: listing, mirroring, scanning, writing.
    fake_github.latency = 0.15
    reference = tmp_path / "reference"
    started = time.monotonic()
    subprocess.run(_command(fake_github, reference), env=_env(), check=True, capture_output=True)
    duration = time.monotonic() - started
    expected = (reference / "raw" / "swegym-demo__calculator.jsonl").read_bytes()

    for index, fraction in enumerate((0.3, 0.5, 0.65, 0.8, 0.9, 0.97)):
        workdir = tmp_path / f"killed-{index}"
        process = subprocess.Popen(_command(fake_github, workdir), env=_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        subprocess.run(_command(fake_github, workdir), env=_env(), check=True, capture_output=True)
        assert (workdir / "raw" / "swegym-demo__calculator.jsonl").read_bytes() == expected, fraction


def test_torn_last_line_and_missing_state_row_are_repaired(fake_github: FakeGitHub, tmp_path: Path) -> None:
    workdir = tmp_path / "ws"
    subprocess.run(_command(fake_github, workdir), env=_env(), check=True, capture_output=True)
    raw = workdir / "raw" / "swegym-demo__calculator.jsonl"
    expected = raw.read_bytes()
    lines = expected.splitlines(keepends=True)
    # As if killed mid-write of the last record, after its state row of the one before was lost.
    raw.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])
    import sqlite3

    with sqlite3.connect(workdir / "state.sqlite") as db:
        db.execute("DELETE FROM stage_status WHERE instance_id IN (?, ?)",
                   ("swegym-demo__calculator-23", "swegym-demo__calculator-25"))  # fmt: skip

    subprocess.run(_command(fake_github, workdir), env=_env(), check=True, capture_output=True)
    assert raw.read_bytes() == expected


def test_a_mirror_left_without_its_remote_by_a_kill_is_completed(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    subprocess.run(_command(fake_github, reference), env=_env(), check=True, capture_output=True)
    # As if killed right after `git init --bare` of the mirror, before its remote was added.
    workdir = tmp_path / "killed"
    mirror = workdir / "repos" / "swegym-demo__calculator.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(mirror)], check=True)
    result = subprocess.run(_command(fake_github, workdir), env=_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    raw = "raw/swegym-demo__calculator.jsonl"
    assert (workdir / raw).read_bytes() == (reference / raw).read_bytes()
