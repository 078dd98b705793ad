"""Ctrl-C during `swegym-build build`: the install running in a container is removed at once, the
command exits 130 without recording the unfinished env, no queued env is started, and the next
run builds them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.state import StateStore
from swegym_build.verify.records import read_verifications
from swegym_build.versions.stage import PythonOptions, run_versions
from swegym_build.workspace import Workspace
from tests.versions.githistory import GitHistory, raw_row

pytestmark = pytest.mark.docker
REPO = "acme/slowinstall"
# the install run sleeps: long enough that only an interrupt ends it within the test
SPEC = (
    f"repo: {REPO}\ndefaults:\n  python: '3.11'\n  pre_install: [sleep 600]\n"
    "  install: [python -m pip install -e .]\n  pip_packages: [pytest]\n"
    "  test_cmd: python -m pytest -q\n  log_parser: pytest\nversions:\n  '*': {}\n"
)
FILES = {
    "setup.py": "from setuptools import setup\nsetup(name='slowinstall', version='1.0', packages=['slow'])\n",
    "slow/__init__.py": "",
    "tests/test_slow.py": "def test_slow():\n    pass\n",
}


def test_ctrl_c_removes_the_running_install_and_records_nothing_unfinished(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "acme__slowinstall.yaml").write_text(SPEC)
    env = {**os.environ, "SWEGYM_SPECS_DIR": str(specs), "COLUMNS": "200"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWEGYM_SPECS_DIR", str(specs))
        workspace = Workspace.resolve(tmp_path / "ws")
        history = GitHistory(workspace.mirror_dir(REPO))
        base = history.commit(FILES, date="2024-05-01T10:00:00Z")
        # a second version: its env job is queued behind the first's
        setup_2 = FILES["setup.py"].replace("version='1.0'", "version='2.0'")
        later = history.commit({**FILES, "setup.py": setup_2}, date="2024-06-01T10:00:00Z")
        rows = [raw_row(REPO, 1, base, "2024-05-01"), raw_row(REPO, 2, later, "2024-06-01")]
        write_jsonl_atomically(workspace.raw_file(REPO), rows)
        state = StateStore(workspace.state_db)
        versions = run_versions(workspace, state, python=PythonOptions("nearest", PythonDownloads("off")))
        assert versions.outcomes == {"kept": 2}
        state.close()

    cli = str(Path(sys.executable).parent / "swegym-build")
    process = subprocess.Popen([cli, "build", "--workdir", str(workspace.root)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    label = f"swegym-build.repo={REPO}"
    deadline = time.monotonic() + 900  # the base and prep images may have to be built first
    while time.monotonic() < deadline:
        running = docker_client.containers.list(filters={"label": [label, "swegym-build.tier=env"]})
        if running:
            break
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        time.sleep(1)
    else:
        pytest.fail("the install run never started")
    time.sleep(3)  # inside its sleep
    signalled = time.monotonic()
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    stopped_in = time.monotonic() - signalled

    assert process.returncode == 130, output.decode()
    assert stopped_in < 30, f"{stopped_in:.0f} s: the install was waited for, not stopped"
    assert "build: interrupted" in output.decode()
    assert output.decode().count("verifying the recipe of") == 1, output.decode()
    assert not docker_client.containers.list(all=True, filters={"label": label})
    state = StateStore(workspace.state_db)
    for number in (1, 2):  # the next run builds them
        assert state.get(f"{REPO.replace('/', '__')}-{number}", "build") is None
    assert read_verifications(workspace, REPO) == {}  # nor is the verification of its env
