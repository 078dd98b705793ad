"""Env installs that failed on real repositories, through the real engine.

- The rootfs leaves manuals out; a Java runtime (hydra's ANTLR, a CI job's setup-java) registers
  a manual page in its postinst and failed to install until the env's apt step made the folder.
- A recipe that downgrades pip (hydra's `pip<24.1`) gets a pip that knows no upload cut-off: its
  isolated builds took the newest setuptools, which has no pkg_resources for an old setup.py.
"""

from __future__ import annotations

from collections.abc import Callable
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
from tests.versions.githistory import GitHistory, raw_row

pytestmark = pytest.mark.docker
REPO = "acme/grammar"


def _spec(install: str = "[python -m pip install -e .]", apt: str = "[]") -> str:
    """acme/grammar's spec: one recipe for every version, `install` and `apt` as YAML lists."""
    return (
        "repo: acme/grammar\ndefaults:\n  python: '3.11'\n"
        f"  install: {install}\n  pip_packages: [pytest]\n  apt_packages: {apt}\n"
        "  test_cmd: python -m pytest -q\n  log_parser: pytest\nversions:\n  '*': {}\n"
    )


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


def _build(
    tmp_path: Path,
    client: docker.DockerClient,
    spec: str,
    files: dict[str, str] | Callable[[GitHistory], str],
) -> Workspace:
    """Versions and build of one instance: at a commit of `files`, or the one `files(history)` makes."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "acme__grammar.yaml").write_text(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(specs))
        workspace = Workspace.resolve(tmp_path / "ws")
        history = GitHistory(workspace.mirror_dir(REPO))
        base = files(history) if callable(files) else history.commit(files, date="2024-05-01T10:00:00Z")
        write_jsonl_atomically(workspace.raw_file(REPO), [raw_row(REPO, 1, base, "2024-05-01")])
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", PythonDownloads("off")))
        assert versions.outcomes == {"kept": 1}
        summary = run_build(client, workspace, state, read_versioned(workspace, None, None))
    assert summary.outcomes == {"kept": 1}, summary.report.problems
    [verification] = read_verifications(workspace, REPO).values()
    assert verification.status == "verified"
    return workspace


def test_a_java_runtime_installs_and_runs_in_the_env(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    files = {"pyproject.toml": PYPROJECT, "grammar/__init__.py": "", "tests/test_java.py": TEST}
    workspace = _build(tmp_path, docker_client, _spec(apt="[default-jre-headless]"), files)
    image = read_built(workspace)["acme__grammar-1"].image
    out = docker_client.containers.run(
        image, ["java", "-version"], network_mode="none", remove=True, user="swegym", stderr=True
    )
    assert b"openjdk" in out.lower()


OLD_PIP_INSTALL = """["python -m pip install 'pip<24.1'", python -m pip install -e .]"""
# an isolated build (pyproject's build-system) of a setup.py that imports pkg_resources
OLD_SETUP = {
    "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
    "setup.py": (
        "import pkg_resources\nfrom setuptools import setup\n"
        "setup(name='grammar', version='1.0', packages=['grammar'])\n"
    ),
    "grammar/__init__.py": "",
    "tests/test_grammar.py": "def test_grammar():\n    import grammar\n",
}


def test_an_old_pip_s_isolated_builds_keep_a_setuptools_with_pkg_resources(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    workspace = _build(tmp_path, docker_client, _spec(install=OLD_PIP_INSTALL), OLD_SETUP)
    image = read_built(workspace)["acme__grammar-1"].image
    out = docker_client.containers.run(image, ["python", "-m", "pip", "--version"], network_mode="none",
                                       remove=True, user="swegym")  # fmt: skip
    assert out.split()[1].startswith(b"24.0")  # the recipe's pip: the cut-off unknown to it


# versioneer's way: the version is what `git describe` says (no tag: `0+unknown`)
DESCRIBED = {
    "setup.py": (
        "import subprocess\nfrom setuptools import setup\n"
        "version = subprocess.run(['git', 'describe', '--tags'], capture_output=True, text=True).stdout\n"
        "setup(name='grammar', version=version.strip().lstrip('v') or '0+unknown', packages=['grammar'])\n"
    ),
    "grammar/__init__.py": "",
    "tests/test_grammar.py": "def test_grammar():\n    import grammar\n",
}


def test_the_version_git_describe_gives_is_the_release_before_the_base(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    def history(mirror: GitHistory) -> str:
        released = mirror.commit(DESCRIBED, date="2024-04-01T10:00:00Z")
        mirror.tag("v1.4.0", released)
        base = mirror.commit({"grammar/more.py": "X = 1\n"}, date="2024-04-20T10:00:00Z")
        mirror.tag("v1.5.0", mirror.commit({"grammar/later.py": "Y = 1\n"}, date="2024-06-01T10:00:00Z"))
        return base

    workspace = _build(tmp_path, docker_client, _spec(), history)
    built = read_built(workspace)["acme__grammar-1"]
    script = (
        "cd /testbed && git tag && python -c 'import importlib.metadata as m; print(m.version(\"grammar\"))'"
    )
    out = docker_client.containers.run(built.image, ["bash", "-c", script], network_mode="none", remove=True,
                                       user="swegym").decode()  # fmt: skip
    assert out.split() == ["v1.4.0", "1.4.0"]  # not v1.5.0, the future; not 0+unknown
    env_out = docker_client.containers.run(built.env_image, ["bash", "-c", "ls -a /testbed"], remove=True)
    assert b".git" not in env_out.split()  # the env install's .git is in no layer


def test_the_test_user_can_commit_to_a_repository_of_its_own(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    # dvc's experiment tests commit in temporary repositories ("Git username and email must be
    # configured" without an identity)
    files = {
        "pyproject.toml": PYPROJECT,
        "grammar/__init__.py": "",
        "tests/test_java.py": "def test_x():\n    pass\n",
    }
    workspace = _build(tmp_path, docker_client, _spec(), files)
    script = (
        "cd /tmp && git init -q own && cd own && git commit -q --allow-empty -m x && git log --format=%an"
    )
    out = docker_client.containers.run(read_built(workspace)["acme__grammar-1"].image, ["bash", "-c", script],
                                       network_mode="none", remove=True, user="swegym")  # fmt: skip
    assert out.decode().split() == ["swegym"]
