"""Drafted-recipe worlds built through the real engine: repositories with no spec, one commit and
one raw row each, versioned and built with verification."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import docker
import pytest

from swegym_build.handoff import read_versioned
from swegym_build.images.stage import BuildSummary, run_build
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.state import StateStore
from swegym_build.verify.build_env import VerifyOptions
from swegym_build.verify.loop import VerifyLimits
from swegym_build.verify.records import read_verifications
from swegym_build.versions.stage import PythonOptions, run_versions
from swegym_build.workspace import Workspace
from tests.versions.githistory import GitHistory, raw_row

OFF = PythonDownloads("off")


def build_drafted(
    root: Path,
    client: docker.DockerClient,
    worlds: Mapping[str, tuple[Mapping[str, str | bytes], str]],
    max_attempts: int,
) -> tuple[Workspace, BuildSummary]:
    """Each world (repo -> (files, day)) committed on `day`, versioned (all kept) and built with no
    spec under `root`; the build's summary for the caller to judge."""
    (root / "no-specs").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(root / "no-specs"))
        workspace = Workspace.resolve(root / "ws")
        for repo, (files, day) in worlds.items():
            commit = GitHistory(workspace.mirror_dir(repo)).commit(files, date=f"{day}T10:00:00Z")
            write_jsonl_atomically(workspace.raw_file(repo), [raw_row(repo, 1, commit, day)])
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", OFF))
        assert versions.outcomes == {"kept": len(worlds)}
        options = VerifyOptions(VerifyLimits(max_attempts=max_attempts))
        summary = run_build(client, workspace, state, read_versioned(workspace, None, None),
                            downloads=OFF, verify=options)  # fmt: skip
    return workspace, summary


def attempts(built: Workspace, repo: str) -> list[tuple[str, str]]:
    """The (label, outcome) of each attempt of the one version verified for `repo`."""
    [record] = read_verifications(built, repo).values()
    return [(a.label, a.outcome) for a in record.attempts]


def as_test_user(client: docker.DockerClient, image: str, script: str) -> str:
    """What `script` prints in a container of `image`, run as the test user with no network."""
    out: bytes = client.containers.run(image, ["bash", "-c", script], network_mode="none", remove=True,
                                       user="swegym")  # fmt: skip
    return out.decode()
