"""Verification collects in the image the environment commit's instance gets, through the real engine.

`acme/pinned` 1.0: its oldest base requires `six<1.16`, its newest (the environment commit)
`six>=1.16`, and the newest tests check it at import. The env image installs the dependencies at
the environment commit, then the project again from /testbed (the oldest base), which brings six
back to 1.15; each instance image installs the project again from its own tree. Collection at the
environment commit must therefore run in that instance's image, where six is 1.16 or later (as
hydra 1.4's omegaconf went from <2.4 to >=2.4.0.dev2 within one version), not in the env image
with the newer files copied over it.
"""

from __future__ import annotations

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
REPO = "acme/pinned"
OFF = PythonDownloads("off")
SPEC = """\
repo: acme/pinned
defaults:
  python: "3.11"
  install: python -m pip install -e .
  pip_packages: [pytest]
  test_cmd: pytest -rA
  log_parser: pytest
versions:
  "*": {}
"""
NEEDS_NEW_SIX = (
    "import six\n\nassert tuple(map(int, six.__version__.split('.')[:2])) >= (1, 16), six.__version__\n\n\n"
    "def test_pinned():\n    import pinned\n    assert pinned.VALUE == 1\n"
)


def _tree(number: int, six: str, test: str) -> dict[str, str | None]:
    return {
        "setup.py": f"from setuptools import setup\nsetup(name='pinned', version='1.0.{number}', "
        f"packages=['pinned'], install_requires=['{six}'])\n",
        "pinned/__init__.py": f"__version__ = '1.0.{number}'\nVALUE = 1\n",
        "tests/test_pinned.py": test,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient) -> Workspace:
    root = tmp_path_factory.mktemp("newest-tree")
    (root / "specs").mkdir()
    (root / "specs" / "acme__pinned.yaml").write_text(SPEC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(root / "specs"))
        workspace = Workspace.resolve(root / "ws")
        history = GitHistory(workspace.mirror_dir(REPO))
        old_test = "def test_pinned():\n    import pinned\n    assert pinned.VALUE == 1\n"
        oldest = history.commit(_tree(1, "six<1.16", old_test), date="2024-03-01T10:00:00Z")
        newest = history.commit(_tree(2, "six>=1.16", NEEDS_NEW_SIX), date="2024-04-01T10:00:00Z")
        rows = [raw_row(REPO, 1, oldest, "2024-03-01"), raw_row(REPO, 2, newest, "2024-04-01")]
        write_jsonl_atomically(workspace.raw_file(REPO), rows)
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", OFF))
        assert versions.outcomes == {"kept": 2}
        instances = read_versioned(workspace, None, None)
        assert {i.version for i in instances} == {"1.0"}
        summary = run_build(docker_client, workspace, state, instances, downloads=OFF)
        assert summary.outcomes == {"kept": 2}, summary.report.problems
    return workspace


def _six(client: docker.DockerClient, image: str) -> str:
    output = client.containers.run(image, ["python", "-c", "import six; print(six.__version__)"], remove=True)
    return output.decode().strip()


def test_the_recipe_verifies_where_the_newest_instance_runs(built: Workspace) -> None:
    verification = read_verifications(built, REPO)["1.0"]
    assert verification.status == "verified", verification
    assert verification.attempts[-1].tests == 1


def test_each_instance_image_has_what_its_own_tree_requires(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    images = {instance_id: record.image for instance_id, record in read_built(built).items()}
    assert _six(docker_client, images["acme__pinned-1"]).startswith("1.15")
    assert _six(docker_client, images["acme__pinned-2"]) >= "1.16"
