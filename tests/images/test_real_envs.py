"""Environments that work at old dates, with no future in them, through the real engine.

A generated repository, `acme/gadget`, in two eras:
- version 0.9 (March 2014): a setup.py project whose dependency `six==1.4.1` exists only as a
  2013 sdist; pip builds it in an isolated PEP 517 environment, which needs `setuptools>=40.8`,
  released four years after the 2014 cut-off.
- version 1.0 (April 2022): pyproject-only, versioned by setuptools_scm, installed editable (PEP
  660 needs setuptools >= 64, released after the cut-off); three instances of the version, so
  the env tree (the oldest base) is older than the environment commit (the newest base).
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
from swegym_build.testing.nofuture import dump, future_in_built_images
from swegym_build.versions.stage import PythonOptions, run_versions
from swegym_build.workspace import Workspace
from tests.versions.githistory import GitHistory, raw_row

pytestmark = pytest.mark.docker
REPO = "acme/gadget"
SPEC = """\
repo: acme/gadget
defaults:
  python: "3.11"
  install: [python -m pip install -e .]
  pip_packages: [pytest]
  test_cmd: pytest -q
  log_parser: pytest
versions:
  # no test runner at the 2014 cut-off runs on 3.11: judged by exit code, the build's
  # verification has nothing to collect (the env is `unchecked`, not rejected)
  "0.9":
    install: [python -m pip install 'six==1.4.1', python -m pip install -e .]
    pip_packages: []
    test_cmd: python -c 'import gadget'
    log_parser: exit_code
  "1.0+": {}
"""
SETUP_PY = "from setuptools import setup\nsetup(name='gadget', version='0.9.0', packages=['gadget'])\n"
PYPROJECT = """\
[build-system]
requires = ["setuptools>=45", "setuptools_scm>=6.2"]
build-backend = "setuptools.build_meta"

[project]
name = "gadget"
dynamic = ["version"]
requires-python = ">=3.7"

[tool.setuptools]
packages = ["gadget"]

[tool.setuptools_scm]
"""
# tests import a helper module from the repository root: only `python -m pytest` finds it
HELPER_TEST = "from tests.helpers import answer\n\n\ndef test_answer():\n    assert answer() == 42\n"


def _history(mirror: Path) -> list[dict]:
    history = GitHistory(mirror)
    rows: list[dict] = []

    def instance(number: int, files: dict[str, str | None], day: str) -> None:
        base = history.commit(files, date=f"{day}T10:00:00Z")
        rows.append(raw_row(REPO, number, base, day))

    common = {"tests/__init__.py": "", "tests/helpers.py": "def answer():\n    return 42\n",
              "tests/test_answer.py": HELPER_TEST}  # fmt: skip
    instance(1, {**common, "setup.py": SETUP_PY, "gadget/__init__.py": "import six\n"}, "2014-03-01")
    instance(2, {"gadget/old.py": "OLD = 1\n"}, "2014-03-08")
    scm = {"setup.py": None, "pyproject.toml": PYPROJECT, "gadget/__init__.py": ""}
    instance(3, {**scm, "gadget/one.py": "ONE = 1\n"}, "2022-04-01")
    history.tag("v1.0.0", history.git("rev-parse", "main"))
    instance(4, {"gadget/two.py": "TWO = 2\n"}, "2022-04-10")
    # the newest base deletes a file and adds one: neither may show in an older instance's image
    instance(5, {"gadget/one.py": None, "gadget/three.py": "THREE = 3\n"}, "2022-04-20")
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient) -> Workspace:
    root = tmp_path_factory.mktemp("real-envs")
    specs = root / "specs"
    specs.mkdir()
    (specs / "acme__gadget.yaml").write_text(SPEC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(specs))
        workspace = Workspace.resolve(root / "ws")
        write_jsonl_atomically(workspace.raw_file(REPO), _history(workspace.mirror_dir(REPO)))
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", PythonDownloads("off")))
        assert versions.outcomes == {"kept": 5}
        summary = run_build(docker_client, workspace, state, read_versioned(workspace, None, None))
    assert summary.outcomes == {"kept": 5}, summary.report.problems
    return workspace


def _images(workspace: Workspace) -> dict[str, dict]:
    return {instance_id: record.to_dict() for instance_id, record in read_built(workspace).items()}


def _run(client: docker.DockerClient, image: str, script: str, user: str = "swegym") -> str:
    output = client.containers.run(image, ["bash", "-c", script], network_mode="none", remove=True, user=user)
    return output.decode()


def test_a_2014_sdist_dependency_builds_in_an_isolated_env_despite_the_cutoff(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    image = _images(built)["acme__gadget-1"]["image"]
    out = _run(docker_client, image, "python -c 'import six, pkg_resources; print(six.__version__)'")
    assert out.split()[-1] == "1.4.1"


def test_a_2022_pyproject_only_scm_project_installs_editable(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    config = next(
        i for i in read_versioned(built, None, None) if i.instance_id == "acme__gadget-4"
    ).install_config
    assert config is not None and config["env"]["SETUPTOOLS_SCM_PRETEND_VERSION"] == "1.0.0"
    image = _images(built)["acme__gadget-4"]["image"]
    script = (
        "cd /tmp && python -c 'import gadget, gadget.two, importlib.metadata as m;"
        ' print(m.version("gadget"), gadget.__file__)\''
    )
    version, where = _run(docker_client, image, script).split()[-2:]
    assert (version, where) == ("1.0.0", "/testbed/gadget/__init__.py")  # editable: imported from the tree


def test_tests_run_as_python_m_pytest_with_the_repository_on_sys_path(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    instance = next(i for i in read_versioned(built, None, None) if i.instance_id == "acme__gadget-5")
    assert instance.install_config is not None
    command = instance.install_config["test_cmd"]
    assert command == "python -m pytest -q"
    out = _run(docker_client, _images(built)["acme__gadget-5"]["image"], f"cd /testbed && {command} tests")
    assert "1 passed" in out


def test_the_test_user_writes_the_tree_but_not_the_venv(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    image = _images(built)["acme__gadget-3"]["image"]
    script = (
        "cd /testbed; for p in gadget/one.py tests/new.py /opt/venv/bin/x /opt/venv/pyvenv.cfg; do"
        " (echo >> $p) 2>/dev/null && echo $p:yes || echo $p:no; done"
    )
    assert _run(docker_client, image, script).split() == [
        "gadget/one.py:yes", "tests/new.py:yes", "/opt/venv/bin/x:no", "/opt/venv/pyvenv.cfg:no",
    ]  # fmt: skip


def test_no_image_holds_anything_from_after_its_base(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    found = future_in_built_images(docker_client, built, REPO)
    assert sorted(found) == sorted(i.instance_id for i in read_versioned(built, None, None))
    for instance_id, future in found.items():
        assert future.empty, f"{instance_id}: {dump(future)}"
    # the env tree of 1.0 is its oldest base (instance 3), though its dependencies are the newest's
    env_image = _images(built)["acme__gadget-5"]["env_image"]
    assert _run(docker_client, env_image, "ls /testbed/gadget").split() == ["__init__.py", "old.py", "one.py"]
