"""The verification loop in `build`, through the real engine, on generated histories.

`acme/drafty` has no spec, so versions drafts one; each version's first draft fails another way
and build must find the recipe that verifies:
- 0.1: setup.py refuses an editable install: the plain install verifies;
- 0.2: the tests import `six`, which only the `cli` extra installs (the drafted install takes the
  `test` extra, which brings pytest-pretty): `with extra cli` verifies, and the drafted test
  command blocks pytest-pretty, so the report validate reads is there. Its oldest base (the env
  image's tree) does not import six yet: collection runs at the environment commit, whose tree
  is the newest base (a file changed, one deleted);
- 0.3: the classifiers say 3.11 and 3.13, the draft takes 3.13, whose stdlib has no `cgi` that the
  tests import: Python 3.11 verifies;
- 0.4: the tests import a module nothing provides: with `--max-attempts 1`, `env_unverified`.
`acme/shipped` has a shipped spec whose editable install fails: reported, with the candidate that
would have verified (`suggest`), and the spec file is not changed.
"""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
import yaml

from swegym_build.handoff import read_versioned
from swegym_build.images.stage import run_build
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.specs import load_spec_file
from swegym_build.state import StateStore
from swegym_build.validate.parsers.pytest_log import read_pytest_run
from swegym_build.verify import build_env
from swegym_build.verify.build_env import VerifyOptions
from swegym_build.verify.loop import VerifyLimits
from swegym_build.verify.records import read_verifications
from swegym_build.versions.stage import PythonOptions, run_versions
from swegym_build.workspace import Workspace
from tests.versions.githistory import GitHistory, raw_row

pytestmark = pytest.mark.docker
DRAFTY, SHIPPED = "acme/drafty", "acme/shipped"
OFF = PythonDownloads("off")
NO_EDITABLE = """\
import sys
from setuptools import setup
if any(a in sys.argv for a in ("develop", "editable_wheel")):
    sys.exit("drafty cannot be installed editable")
"""
SHIPPED_SPEC = """\
repo: acme/shipped
defaults:
  python: "3.11"
  install: python -m pip install -e .
  pip_packages: [pytest]
  test_cmd: pytest -rA
  log_parser: pytest
versions:
  "*": {}
"""


def _setup_py(version: str, pythons: tuple[str, ...], extras: str = "", refuse_editable: bool = False) -> str:
    classifiers = ", ".join(f"'Programming Language :: Python :: {p}'" for p in pythons)
    head = NO_EDITABLE if refuse_editable else "from setuptools import setup\n"
    return head + (
        f"setup(name='drafty', version='{version}', packages=['drafty'], python_requires='>=3.11',\n"
        f"      classifiers=[{classifiers}],\n"
        f"      extras_require={{{extras}\n}})\n"
    )


def _version(version: str, test: str, **setup: object) -> dict[str, str | None]:
    return {
        "setup.py": _setup_py(f"{version}.0", **setup),  # type: ignore[arg-type]
        "drafty/__init__.py": f"__version__ = '{version}.0'\nVALUE = 1\n",
        "tests/__init__.py": "",
        "tests/conftest.py": "",
        "tests/test_drafty.py": test
        + "\n\ndef test_value():\n    from drafty import VALUE\n    assert VALUE == 1\n",
    }


def _histories(workspace: Workspace) -> None:
    drafty = GitHistory(workspace.mirror_dir(DRAFTY))
    eras = [
        ("0.1", "2023-06-01", "", {"pythons": ("3.11",), "refuse_editable": True}),
        ("0.2", "2023-07-01", "import six", {"pythons": ("3.11",),
                                             "extras": "'test': ['pytest-pretty'], 'cli': ['six']"}),
        ("0.3", "2025-03-01", "import cgi", {"pythons": ("3.11", "3.13")}),
        ("0.4", "2025-04-01", "import not_installed_anywhere", {"pythons": ("3.11",)}),
    ]  # fmt: skip
    rows = []
    for number, (version, day, test, setup) in enumerate(eras, 1):
        tree = _version(version, test, **setup)
        if version == "0.2":
            # the version's oldest base (the env tree) does not need six yet, its newest does
            older = {**tree, "tests/test_drafty.py": tree["tests/test_drafty.py"].replace(test, "")}  # type: ignore[union-attr]
            rows.append(raw_row(DRAFTY, 5, drafty.commit(older, date="2023-06-20T10:00:00Z"), "2023-06-20"))
            tree = {"tests/test_drafty.py": tree["tests/test_drafty.py"], "tests/test_gone.py": None}
        elif version == "0.1":
            tree["tests/test_gone.py"] = "def test_gone():\n    pass\n"
        rows.append(raw_row(DRAFTY, number, drafty.commit(tree, date=f"{day}T10:00:00Z"), day))
    write_jsonl_atomically(workspace.raw_file(DRAFTY), rows)
    shipped = GitHistory(workspace.mirror_dir(SHIPPED))
    tree = _version("0.1", "", pythons=("3.11",), refuse_editable=True)
    base = shipped.commit(tree, date="2023-06-01T10:00:00Z")
    write_jsonl_atomically(workspace.raw_file(SHIPPED), [raw_row(SHIPPED, 1, base, "2023-06-01")])


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient) -> Workspace:
    root = tmp_path_factory.mktemp("verify-build")
    specs = root / "specs"
    specs.mkdir()
    (specs / "acme__shipped.yaml").write_text(SHIPPED_SPEC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(specs))
        workspace = Workspace.resolve(root / "ws")
        _histories(workspace)
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", OFF))
        assert versions.outcomes == {"kept": 6}
        instances = read_versioned(workspace, None, None)
        first = [i for i in instances if i.version != "0.4"]
        last = [i for i in instances if i.version == "0.4"]
        options = VerifyOptions(suggest=True)
        summary = run_build(docker_client, workspace, state, first, downloads=OFF, verify=options)
        assert summary.outcomes == {"kept": 4, "env_build_failed": 1}, summary.failures
        one = VerifyOptions(VerifyLimits(max_attempts=1))
        unverified = run_build(docker_client, workspace, state, last, downloads=OFF, verify=one)
        assert unverified.outcomes == {"env_unverified": 1}, unverified.failures
        again = run_build(docker_client, workspace, state, read_versioned(workspace, None, None),
                          downloads=OFF, verify=one)  # fmt: skip
        assert again.outcomes == {"kept": 4, "env_build_failed": 1, "env_unverified": 1}
        assert again.nothing_built
        failed = read_verifications(workspace, DRAFTY)["0.4"]
        # an upgrade whose cures changed tries the failed version again, not its old verdict
        patch.setattr(build_env, "CURES_REVISION", build_env.CURES_REVISION + 1)
        upgraded = run_build(docker_client, workspace, state, last, downloads=OFF, verify=one)
        assert upgraded.outcomes == {"env_unverified": 1}
        retried = read_verifications(workspace, DRAFTY)["0.4"]
        assert retried.inputs_key != failed.inputs_key  # recorded anew: a reused verdict keeps its key
    return workspace


def _attempts(workspace: Workspace, repo: str) -> dict[str, list[tuple[str, str]]]:
    return {
        version: [(a.label, a.outcome) for a in record.attempts]
        for version, record in read_verifications(workspace, repo).items()
    }


def test_each_first_draft_failure_is_found_and_the_winner_recorded(verified: Workspace) -> None:
    attempts = _attempts(verified, DRAFTY)
    assert attempts["0.1"] == [("as drafted", "env_build_failed"),
                               ("plain install (python -m pip install .)", "verified")]  # fmt: skip
    assert attempts["0.2"] == [("as drafted", "collection_errors"), ("with extra cli", "verified")]
    first, won = (Path(a.log).read_text() for a in read_verifications(verified, DRAFTY)["0.2"].attempts)
    assert "No module named 'six'" in first  # the environment commit's tests, not the env tree's
    assert "tests/test_drafty.py::test_value" in won and "tests/test_gone.py::" not in won
    assert attempts["0.3"] == [("as drafted", "collection_errors"),
                               ("plain install (python -m pip install .)", "collection_errors"),
                               ("Python 3.11", "verified")]  # fmt: skip
    assert attempts["0.4"] == [("as drafted", "collection_errors")]
    records = read_verifications(verified, DRAFTY)
    assert [records[v].status for v in ("0.1", "0.2", "0.3", "0.4")] == ["verified"] * 3 + ["failed"]
    assert records["0.4"].stopped == "max attempts (1)"
    for record in records.values():
        for attempt in record.attempts:
            assert Path(attempt.log).is_file(), attempt


def test_later_stages_read_the_instances_with_the_verified_recipe(verified: Workspace) -> None:
    configs = {i.version: i.install_config or {} for i in read_versioned(verified, [DRAFTY], None)}
    assert configs["0.1"]["install"] == ["python -m pip install ."]
    assert configs["0.2"]["install"] == ["python -m pip install -e '.[test,cli]'"]
    assert (configs["0.3"]["python"], configs["0.4"]["python"]) == ("3.11", "3.11")
    assert configs["0.2"]["test_cmd"] == "python -m pytest -rA -p no:pretty"


def test_the_winners_are_written_into_the_draft_marked_verified(verified: Workspace) -> None:
    path = verified.draft_spec_file(DRAFTY)
    spec = load_spec_file(path)  # still a valid spec, ready to copy into specs/
    assert spec.for_version("0.1").install == ("python -m pip install .",)
    assert spec.for_version("0.2").install == ("python -m pip install -e '.[test,cli]'",)
    assert spec.for_version("0.3").python == "3.11"
    text = path.read_text()
    assert "`swegym-build build`: versions 0.1, 0.2, 0.3" in text and "0.4: not verified" in text
    today = read_verifications(verified, DRAFTY)["0.1"].date
    entries = yaml.safe_load(text)["versions"]
    assert entries["0-0.1"]["verified"] == f"{today}: 0.1 (plain install (python -m pip install .))"
    assert "verified" not in entries["*"]  # 0.4, the only version of '*', did not verify


def test_a_shipped_spec_that_fails_is_reported_with_what_would_verify_and_not_changed(
    verified: Workspace,
) -> None:
    record = read_verifications(verified, SHIPPED)["0.1"]
    assert (record.origin, record.status, len(record.attempts)) == ("shipped", "failed", 1)
    assert record.suggestion is not None and record.suggestion.label.startswith("plain install")
    state = StateStore(verified.state_db)
    failed = state.get("acme__shipped-1", "build")
    assert failed is not None and failed.reason == "env_build_failed"
    assert "would verify: plain install" in failed.detail
    (config,) = [i.install_config for i in read_versioned(verified, [SHIPPED], None)]
    assert config is not None and config["install"] == ["python -m pip install -e ."]
    assert not verified.draft_spec_file(SHIPPED).exists()


def test_unverified_envs_reject_their_instances_without_building_them(verified: Workspace) -> None:
    state = StateStore(verified.state_db)
    record = state.get("acme__drafty-4", "build")
    assert record is not None and (record.status, record.reason) == ("failed", "env_unverified")
    assert "no recipe verified for acme/drafty 0.4" in record.detail
    log = Path(read_verifications(verified, DRAFTY)["0.4"].attempts[0].log)
    assert "not_installed_anywhere" in log.read_text()
    assert "acme__drafty-4" not in {r.instance_id for r in state.records("build") if r.status == "kept"}


def test_the_drafted_test_command_keeps_the_report_pytest_pretty_would_replace(
    verified: Workspace, docker_client: docker.DockerClient
) -> None:
    record = read_verifications(verified, DRAFTY)["0.2"]
    script = "cd /testbed && python -c 'import pytest_pretty' && " + record.recipe["test_cmd"]  # type: ignore[index]
    container = docker_client.containers.run(record.image, ["bash", "-c", script], user="swegym",
                                             network_mode="none", detach=True)  # fmt: skip
    try:
        container.wait(timeout=300)
        output = container.logs().decode()
    finally:
        container.remove(force=True)
    run = read_pytest_run(output)
    assert run.totals is not None, output
    assert run.statuses.get("tests/test_drafty.py::test_value") == "PASSED", output


def test_attempts_and_versions_on_one_python_share_one_prep_image(
    verified: Workspace, docker_client: docker.DockerClient
) -> None:
    # 0.1's plain install, 0.2's extra and 0.3's Python 3.11 differ only in install commands and
    # cut-off: the test user, venv and build tooling under them were built once
    records = read_verifications(verified, DRAFTY)
    parents = {docker_client.images.get(records[v].image).attrs["Parent"] for v in ("0.1", "0.2", "0.3")}
    assert len(parents) == 1
    assert [t.split(":")[0] for t in docker_client.images.get(parents.pop()).tags] == [
        "swegym-build-env-prep"
    ]
    env = docker_client.images.get(records["0.2"].image).attrs["Config"]["Env"]
    recipe = records["0.2"].recipe
    assert recipe is not None
    cutoff = recipe["exclude_newer"]  # later installs in the image keep the environment commit's date
    assert f"PIP_UPLOADED_PRIOR_TO={cutoff}" in env and f"UV_EXCLUDE_NEWER={cutoff}" in env
