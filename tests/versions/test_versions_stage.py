"""The versions stage over the mined sample world: real mirror, real specs, real state store."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import pytest
import yaml

from swegym_build.jsonl import read_jsonl
from swegym_build.specs import load_spec_file
from swegym_build.state import StateStore
from swegym_build.testing.fakegithub import FakeGitHub
from swegym_build.versions.stage import run_versions
from swegym_build.workspace import Workspace
from tests.mine.helpers import run_mine

REPO = "swegym-demo/calculator"


@pytest.fixture
def mined(fake_github: FakeGitHub, workspace: Workspace) -> Workspace:
    run_mine(fake_github, workspace)
    return workspace


def _versioned(workspace: Workspace) -> dict[int, dict]:
    return {row["pull_number"]: row for row in read_jsonl(workspace.versioned_file(REPO))}


def test_sample_versions_setup_commits_and_install_config(mined: Workspace, fake_github: FakeGitHub) -> None:
    summary = run_versions(mined, StateStore(mined.state_db))

    rows = _versioned(mined)
    assert {n: r["version"] for n, r in rows.items()} == {2: "0.1", 10: "0.1", 13: "0.2", 15: "0.2",
                                                          21: "0.2", 23: "0.2", 25: "0.2"}  # fmt: skip
    # The environment of a version is built at the base commit of its newest instance.
    assert {r["environment_setup_commit"] for n, r in rows.items() if r["version"] == "0.1"} == {
        rows[10]["base_commit"]
    }
    assert {r["environment_setup_commit"] for n, r in rows.items() if r["version"] == "0.2"} == {
        rows[25]["base_commit"]
    }
    config = rows[2]["install_config"]
    assert (config["python"], config["python_requested"]) == ("3.11", "3.11")
    # the spec says `pytest -rA`: it runs as `python -m pytest`, with the repository on sys.path
    assert (config["test_cmd"], config["log_parser"]) == ("python -m pytest -rA", "pytest")
    stamp = subprocess.run(
        ["git", "show", "-s", "--format=%ct", rows[10]["base_commit"]],
        cwd=mined.mirror_dir(REPO), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    cutoff = datetime.fromisoformat(config["exclude_newer"].replace("Z", "+00:00"))
    assert cutoff == datetime.fromtimestamp(int(stamp), timezone.utc)
    assert summary.outcomes == {"kept": 7}
    assert summary.versions[(REPO, "0.2")] == (rows[25]["base_commit"], 5)


def test_instance_without_a_version_is_listed_and_kept_in_raw(mined: Workspace) -> None:
    raw = mined.raw_file(REPO)
    rows = list(read_jsonl(raw))
    # An instance whose base commit is the root commit of a repository with no version anywhere.
    orphan = subprocess.run(
        ["git", "commit-tree", "-m", "orphan", "4b825dc642cb6eb9a060e54bf8d69288fbee4904"],
        cwd=mined.mirror_dir(REPO), capture_output=True, text=True, check=True,
        env={"GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x", "GIT_COMMITTER_NAME": "x",
             "GIT_COMMITTER_EMAIL": "x@x"},
    ).stdout.strip()  # fmt: skip
    with raw.open("a") as handle:
        import json

        handle.write(json.dumps({**rows[0], "instance_id": "swegym-demo__calculator-99", "pull_number": 99,
                                 "base_commit": orphan}) + "\n")  # fmt: skip

    summary = run_versions(mined, StateStore(mined.state_db))

    assert summary.unversioned == ["swegym-demo__calculator-99"]
    assert summary.outcomes["no_version"] == 1
    record = StateStore(mined.state_db).get("swegym-demo__calculator-99", "versions")
    assert record is not None and record.reason == "no_version"
    assert 99 not in _versioned(mined) and len(_versioned(mined)) == 7
    assert len(list(read_jsonl(raw))) == 8  # nothing collected is lost


def test_without_a_spec_a_usable_draft_is_written(
    mined: Workspace, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_specs = tmp_path / "no-specs"
    empty_specs.mkdir()
    monkeypatch.setenv("SWEGYM_SPECS_DIR", str(empty_specs))

    summary = run_versions(mined, StateStore(mined.state_db))

    draft_path = mined.draft_spec_file(REPO)
    assert summary.drafts == [draft_path]
    assert "DRAFT" in draft_path.read_text()
    draft = load_spec_file(draft_path)  # loads and validates like a hand-written spec
    entry = draft.for_version("0.2")
    assert entry.log_parser == "pytest" and "pytest" in entry.test_cmd
    assert any("pip install -e" in command for command in entry.install)
    assert yaml.safe_load(draft_path.read_text())["repo"] == REPO
    assert len(_versioned(mined)) == 7


def test_rerun_reuses_inferred_versions(mined: Workspace) -> None:
    state = StateStore(mined.state_db)
    run_versions(mined, state)
    first = {r.instance_id: r.attempts for r in state.records("versions")}
    run_versions(mined, state)
    assert {r.instance_id: r.attempts for r in state.records("versions")} == first
