"""A spec's apt packages are installed in its env image, through the real engine.

The rootfs leaves manuals out; a Java runtime (hydra's ANTLR, a CI job's setup-java) registers a
manual page in its postinst and failed to install until the env's apt step made the folder.
"""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from swegym_build.handoff import read_built, read_versioned
from swegym_build.images.stage import run_build
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.state import StateStore
from swegym_build.verify.records import read_verifications
from swegym_build.versions.stage import PythonOptions, run_versions
from swegym_build.workspace import Workspace
from tests.versions.githistory import GitHistory

pytestmark = pytest.mark.docker
REPO = "acme/grammar"
SPEC = """\
repo: acme/grammar
defaults:
  python: "3.11"
  install: [python -m pip install -e .]
  pip_packages: [pytest]
  apt_packages: [default-jre-headless]
  test_cmd: python -m pytest -q
  log_parser: pytest
versions:
  "*": {}
"""
PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "grammar"
version = "1.0.0"

[tool.setuptools]
packages = ["grammar"]
"""
# collected only where java runs: the build's verification collects the tests
TEST = """\
import subprocess

subprocess.run(["java", "-version"], check=True)


def test_java():
    pass
"""


def test_a_java_runtime_installs_and_runs_in_the_env(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "acme__grammar.yaml").write_text(SPEC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(specs))
        workspace = Workspace.resolve(tmp_path / "ws")
        history = GitHistory(workspace.mirror_dir(REPO))
        files = {"pyproject.toml": PYPROJECT, "grammar/__init__.py": "", "tests/test_java.py": TEST}
        base = history.commit(files, date="2024-05-01T10:00:00Z")
        row = {
            "repo": REPO, "instance_id": "acme__grammar-1", "base_commit": base, "patch": "",
            "test_patch": "", "problem_statement": "p", "hints_text": "",
            "created_at": "2024-05-01T12:00:00Z", "pull_number": 1, "issue_numbers": [],
        }  # fmt: skip
        write_jsonl_atomically(workspace.raw_file(REPO), [row])
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", PythonDownloads("off")))
        assert versions.outcomes == {"kept": 1}
        summary = run_build(docker_client, workspace, state, read_versioned(workspace, None, None))
    assert summary.outcomes == {"kept": 1}, summary.report.problems
    [verification] = read_verifications(workspace, REPO).values()
    assert verification.status == "verified"
    image = read_built(workspace)["acme__grammar-1"].image
    out = docker_client.containers.run(
        image, ["java", "-version"], network_mode="none", remove=True, user="swegym", stderr=True
    )
    assert b"openjdk" in out.lower()
