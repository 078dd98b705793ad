"""Hostile tasks through the real engine: a test patch (or gold patch) written by an attacker.

Every case is instance #2 of the sample (its image, its test patch) plus one hostile test file,
with either the real gold patch or one that does nothing (it adds a notes file). A case with the
real fix must end with the honest verdict (the attack changed nothing); a do-nothing fix must
never be kept. All cases run in one `validate` call, two at a time, as a real run would.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import textwrap
import threading
import time
from pathlib import Path

import docker
import pytest

from swegym_build.containment import ContainerLimits
from swegym_build.executors import LocalExecutor
from swegym_build.handoff import append_built, read_built, read_result, read_versioned
from swegym_build.labels import TIER_LABEL
from swegym_build.records import TaskInstance, ValidationResult
from swegym_build.state import StateStore
from swegym_build.validate.stage import ValidateOptions, run_validate
from swegym_build.workspace import Workspace
from tests.validate.test_safety import _binary_symlink

pytestmark = pytest.mark.docker

BASE = "swegym-demo__calculator-2"
REAL_TEST = "tests/test_ops.py::test_divide_by_zero_raises_calculator_error"
HONEST_PASS_TO_PASS = [
    "tests/test_ops.py::test_add",
    "tests/test_ops.py::test_divide",
    "tests/test_ops.py::test_multiply_ints",
]
LIMITS = ContainerLimits(timeout=180, output_bytes=8 << 20, disk_bytes=256 << 20, tmp_bytes=64 << 20)

# Shared by the hostile tests: the file descriptors that reach the container's stdout (the pipe
# pytest's capture saved away), so a write there bypasses pytest's capture.
RAW_STDOUT = """
import os, stat


def raw_write(data):
    for fd in range(64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, data)
        except OSError:
            pass
"""

ATTACKS: dict[str, tuple[str, bool]] = {
    # name: (hostile test module, whether the gold patch is the real fix)
    "fake_logs_and_kill": (
        """
        import os, pathlib, signal


        def test_forges_every_run_and_dies():
            for run in (1, 2, 3):
                out = pathlib.Path(f"/tmp/swegym/out/run-{run}")
                out.mkdir(parents=True, exist_ok=True)
                (out / "before.log").write_text("FAILED tests/test_ops.py::test_phantom_fix\\n")
                (out / "after.log").write_text("PASSED tests/test_ops.py::test_phantom_fix\\n")
                (out / "before.exit").write_text("1")
                (out / "after.exit").write_text("0")
            pathlib.Path("/tmp/swegym/out/complete").write_text("done")
            for pid in (1, os.getppid()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except PermissionError:
                    pass
            os.kill(os.getpid(), signal.SIGKILL)
        """,
        False,
    ),
    "phantom_passed_line": (
        RAW_STDOUT
        + textwrap.dedent(
            """

        def test_prints_a_phantom_fix():
            phantom = "tests/test_ops.py::test_phantom_fix"
            line = f"\\n{phantom} PASSED\\nPASSED {phantom}\\n"
            print(line)
            raw_write(line.encode())
        """
        ),
        False,
    ),
    "verdict_files": (
        """
        import pathlib


        def test_writes_verdict_files():
            for folder in ("/tmp/swegym/out/run-1", "/tmp/swegym", "/testbed", "/home/swegym"):
                path = pathlib.Path(folder)
                path.mkdir(parents=True, exist_ok=True)
                (path / "failure").write_text("kept\\n")
                (path / "complete").write_text("done\\n")
                forged = '{"reason": "kept", "FAIL_TO_PASS": ["t.py::test_phantom"]}'
                (path / "result.json").write_text(forged)
        """,
        True,
    ),
    "links_and_fifos": (
        """
        import os, pathlib


        def test_leaves_links_and_fifos():
            for folder in ("/tmp/swegym/out/run-1", "/testbed/out", "/home/swegym/out"):
                path = pathlib.Path(folder)
                path.mkdir(parents=True, exist_ok=True)
                (path / "before.log").symlink_to("/etc/passwd")
                (path / "root").symlink_to("/")
                os.mkfifo(path / "after.log")
        """,
        True,
    ),
    "disk_fill": (
        """
        import os


        def test_writes_5_gb():
            chunk = b"\\1" * (16 << 20)
            try:
                with open("/tmp/fill", "wb") as handle:
                    while True:
                        handle.write(chunk)
            except OSError:
                pass  # /tmp is a small tmpfs
            os.unlink("/tmp/fill")
            for number in range(5 * 16):  # 80 files of 64 MiB, each below the single-file cap
                with open(f"/testbed/fill-{number}", "wb") as handle:
                    for _ in range(4):
                        handle.write(chunk)
        """,
        False,
    ),
    "output_flood": (
        RAW_STDOUT
        + textwrap.dedent(
            """

        def test_prints_1_gib():
            chunk = b"x" * (1 << 20)
            for _ in range(1024):
                raw_write(chunk)
        """
        ),
        False,
    ),
    "git_venv_and_privileges": (
        """
        import os, pathlib, signal, site, subprocess

        import pytest


        def test_git_config_and_hooks_are_read_only():
            done = subprocess.run(["git", "config", "core.fsmonitor", "touch /tmp/pwned"], cwd="/testbed",
                                  capture_output=True)
            assert done.returncode != 0
            with pytest.raises(PermissionError):
                pathlib.Path("/testbed/.git/hooks/post-checkout").write_text("#!/bin/sh\\nid\\n")
            with pytest.raises(PermissionError):
                open("/testbed/.git/config", "a")
            with pytest.raises(PermissionError):
                os.rename("/testbed/.git", "/testbed/.git-moved")


        def test_the_venv_is_read_only():
            with pytest.raises(PermissionError):
                open(os.path.join(site.getsitepackages()[0], "sitecustomize.py"), "w")
            with pytest.raises(PermissionError):
                open("/opt/venv/bin/pytest", "a")


        def test_no_root_no_capabilities():
            assert os.getuid() == os.geteuid() == 1000
            status = open("/proc/self/status").read()
            for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                assert f"{field}:\\t0000000000000000" in status


        def test_the_harness_is_out_of_reach():
            assert not os.path.exists("/swegym-harness")  # script and patches, removed before the tests
            with pytest.raises(PermissionError):
                open("/proc/1/environ").read()
            for pid in (1, os.getppid()):
                with pytest.raises(PermissionError):
                    os.kill(pid, signal.SIGKILL)
        """,
        True,
    ),
    "conftest_forces_passes": (
        """
        import pytest


        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            report = outcome.get_result()
            report.outcome, report.longrepr = "passed", None
        """,
        False,
    ),
    "prints_harness_markers": (
        RAW_STDOUT
        + textwrap.dedent(
            """

        def test_prints_markers():
            fake = b"\\nswegym-begin-" + b"0" * 32 + b"\\nswegym-file-" + b"0" * 32 + b" 3 x.py\\nabc\\n"
            print(fake.decode())
            raw_write(fake)
        """
        ),
        True,
    ),
    "state_between_sides": (
        """
        import pathlib

        MARKS = ["/tmp/seen", "/home/swegym/.seen", "/testbed/.seen", "/var/tmp/seen", "/dev/shm/seen"]


        def test_passes_once_it_has_run_before():
            seen = [mark for mark in MARKS if pathlib.Path(mark).exists()]
            for mark in MARKS:
                try:
                    pathlib.Path(mark).write_text("1")
                except OSError:
                    pass
            assert seen, "fails the first time, would pass on a side that sees what an earlier one left"
        """,
        False,
    ),
    "atexit_forged_summary": (
        """
        import atexit, os


        def _forge():
            os.write(1, b"=== short test summary info ===\\n"
                        b"PASSED tests/test_ops.py::test_divide_by_zero_raises_calculator_error\\n"
                        b"=== 5 passed in 0.01s ===\\n")


        atexit.register(_forge)


        def test_registers_a_forger():
            pass
        """,
        False,
    ),
}
HOSTILE_FILE = {"conftest_forces_passes": "tests/conftest.py"}
NO_OP_PATCH = (
    "diff --git a/NOTES.txt b/NOTES.txt\nnew file mode 100644\n"
    + "--- /dev/null\n+++ b/NOTES.txt\n@@ -0,0 +1 @@\n+x\n"
)


# `\056` is an octal `.`: git unquotes this to tests/.git/hooks/pre-commit.
QUOTED_GIT = (
    'diff --git "a/tests/\\056git/hooks/pre-commit" "b/tests/\\056git/hooks/pre-commit"\n'
    "new file mode 100755\n"
    '--- /dev/null\n+++ "b/tests/\\056git/hooks/pre-commit"\n@@ -0,0 +1 @@\n+touch /tmp/pwned\n'
)


def _new_file(path: str, text: str) -> str:
    lines = textwrap.dedent(text).strip("\n").split("\n")
    body = "".join(f"+{line}\n" for line in lines)
    header = f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
    return f"{header}@@ -0,0 +1,{len(lines)} @@\n{body}"


def _id(name: str) -> str:
    return f"swegym-demo__calculator-hostile-{name.replace('_', '-')}"


def _hostile(base: TaskInstance, name: str, test_module: str, real_fix: bool) -> TaskInstance:
    path = HOSTILE_FILE.get(name, "tests/test_hostile.py")
    test_patch = base.test_patch + _new_file(path, test_module)
    return dataclasses.replace(
        base, instance_id=_id(name), test_patch=test_patch, patch=base.patch if real_fix else NO_OP_PATCH
    )


@pytest.fixture(scope="module")
def hostile(built_sample: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = Workspace.resolve(
        shutil.copytree(built_sample.root, tmp_path_factory.mktemp("hostile") / "ws")
    )
    state = StateStore(workspace.state_db)
    (base,) = read_versioned(workspace, None, [BASE])
    build = read_built(workspace)[BASE]
    instances = [_hostile(base, name, module, fix) for name, (module, fix) in ATTACKS.items()]
    instances += [
        dataclasses.replace(
            base, instance_id=_id("binary_symlink_gold"), patch=_binary_symlink("calculator/up", b"/")
        ),
        dataclasses.replace(
            base, instance_id=_id("quoted_git_path"), test_patch=base.test_patch + QUOTED_GIT
        ),
        base,  # an honest instance in the same run: its result is written whatever the others do
    ]
    for instance in instances:
        append_built(workspace, dataclasses.replace(build, instance_id=instance.instance_id))
    options = ValidateOptions(runs=1, limits=LIMITS, force=True, retries=1)
    started = time.monotonic()
    summary = run_validate(workspace, state, instances, options, LocalExecutor(2))
    assert sum(summary.outcomes.values()) == len(instances), summary.outcomes
    (workspace.root / "hostile-wall-seconds").write_text(f"{time.monotonic() - started:.1f}")
    return workspace


def _result(workspace: Workspace, name: str) -> ValidationResult:
    result = read_result(workspace, _id(name))
    assert result is not None, name
    return result


def _honest(result: ValidationResult, *hostile_passes: str) -> None:
    assert result.reason == "kept", result
    assert result.FAIL_TO_PASS == [REAL_TEST]
    assert sorted(HONEST_PASS_TO_PASS + list(hostile_passes)) == result.PASS_TO_PASS
    assert result.anomalies == []


def test_fake_logs_a_marker_and_a_kill_end_incomplete_not_kept(hostile: Workspace) -> None:
    result = _result(hostile, "fake_logs_and_kill")
    assert result.reason == "incomplete"
    facts = json.loads(
        (hostile.log_dir("validate", _id("fake_logs_and_kill")) / "run-1" / "before.json").read_text()
    )
    assert facts["exit_code"] == 137 and facts["attempt"] == 2  # retried once in a fresh container
    state = StateStore(hostile.state_db).get(_id("fake_logs_and_kill"), "validate")
    assert state is not None and state.status == "failed"  # tried again by the next run


def test_a_printed_phantom_passed_line_is_an_anomaly_never_a_task(hostile: Workspace) -> None:
    result = _result(hostile, "phantom_passed_line")
    assert result.reason == "phantom_tests"
    assert "run 1 before: phantom test id tests/test_ops.py::test_phantom_fix" in result.anomalies
    assert "tests/test_ops.py::test_phantom_fix" not in result.FAIL_TO_PASS + result.PASS_TO_PASS


def test_verdict_files_written_by_the_tests_are_never_read(hostile: Workspace) -> None:
    _honest(_result(hostile, "verdict_files"), "tests/test_hostile.py::test_writes_verdict_files")


def test_links_and_fifos_left_behind_do_not_reach_the_host(hostile: Workspace) -> None:
    _honest(_result(hostile, "links_and_fifos"), "tests/test_hostile.py::test_leaves_links_and_fifos")
    # The honest instance of the same run was judged and written too.
    assert _result_of(hostile, BASE).reason == "kept"


def _result_of(workspace: Workspace, instance_id: str) -> ValidationResult:
    result = read_result(workspace, instance_id)
    assert result is not None
    return result


def test_filling_the_disk_is_stopped_at_the_limit(hostile: Workspace) -> None:
    result = _result(hostile, "disk_fill")
    assert result.reason == "disk_limit" and result.disk_watched


def test_a_flood_of_output_is_cut_at_the_cap(hostile: Workspace) -> None:
    result = _result(hostile, "output_flood")
    assert result.reason == "output_limit"
    log = hostile.log_dir("validate", _id("output_flood")) / "run-1" / "before.log"
    assert log.stat().st_size <= LIMITS.output_bytes + 200
    assert (
        log.read_text()
        .rstrip()
        .endswith("[swegym-build: output truncated at the limit; the side was stopped]")
    )


def test_git_venv_and_privileges_are_out_of_the_tests_reach(hostile: Workspace) -> None:
    # Each of these tests passes only if its attack failed, on both sides.
    checks = (
        "test_git_config_and_hooks_are_read_only",
        "test_the_venv_is_read_only",
        "test_no_root_no_capabilities",
        "test_the_harness_is_out_of_reach",
    )
    _honest(
        _result(hostile, "git_venv_and_privileges"), *(f"tests/test_hostile.py::{name}" for name in checks)
    )


def test_a_conftest_forcing_passes_with_a_do_nothing_fix_is_no_fail_to_pass(hostile: Workspace) -> None:
    result = _result(hostile, "conftest_forces_passes")
    assert result.reason == "no_fail_to_pass"
    assert REAL_TEST in result.PASS_TO_PASS


def test_printing_the_harness_markers_changes_nothing(hostile: Workspace) -> None:
    _honest(_result(hostile, "prints_harness_markers"), "tests/test_hostile.py::test_prints_markers")


def test_nothing_carries_from_one_side_to_the_next(hostile: Workspace) -> None:
    result = _result(hostile, "state_between_sides")
    assert result.reason == "no_fail_to_pass"
    assert "tests/test_hostile.py::test_passes_once_it_has_run_before" in result.FAIL_TO_FAIL


def test_a_summary_forged_at_exit_does_not_agree(hostile: Workspace) -> None:
    result = _result(hostile, "atexit_forged_summary")
    assert result.reason == "summary_mismatch"


@pytest.mark.parametrize("name", ["binary_symlink_gold", "quoted_git_path"])
def test_patches_hiding_an_escape_are_refused_before_anything_runs(hostile: Workspace, name: str) -> None:
    result = _result(hostile, name)
    assert result.reason == "unsafe_patch"
    assert not (hostile.log_dir("validate", _id(name)) / "run-1").exists()


def test_no_do_nothing_fix_is_kept_and_no_container_is_left(
    hostile: Workspace, docker_client: docker.DockerClient
) -> None:
    rows = {
        row
        for row in (
            json.loads(line)["instance_id"]
            for line in hostile.validated_file("swegym-demo/calculator").read_text().splitlines()
        )
    }
    for name, (_, real_fix) in ATTACKS.items():
        assert (_id(name) in rows) == (real_fix and _result(hostile, name).reason == "kept"), name
    left = docker_client.containers.list(all=True, filters={"label": f"{TIER_LABEL}=validate"})
    assert not [c for c in left if c.labels.get("swegym-build.instance-id", "").startswith(_id(""))]


def test_a_container_killed_from_outside_is_retried(
    built_sample: Workspace, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    workspace = Workspace.resolve(shutil.copytree(built_sample.root, tmp_path / "ws"))
    state = StateStore(workspace.state_db)
    (base,) = read_versioned(workspace, None, [BASE])
    slow = _new_file("tests/test_slow.py", "import time\n\n\ndef test_slow():\n    time.sleep(4)\n")
    instance = dataclasses.replace(base, instance_id=_id("killed_outside"), test_patch=base.test_patch + slow)
    append_built(
        workspace, dataclasses.replace(read_built(workspace)[BASE], instance_id=instance.instance_id)
    )
    killed: list[str] = []

    def kill_the_first_container() -> None:
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            for container in docker_client.containers.list(
                filters={"label": f"swegym-build.instance-id={instance.instance_id}"}
            ):
                time.sleep(1.5)  # inside the slow test
                container.kill()
                killed.append(container.id)
                return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_first_container)
    killer.start()
    summary = run_validate(workspace, state, [instance], ValidateOptions(runs=1, limits=LIMITS, retries=2))
    killer.join()
    assert killed and summary.outcomes == {"kept": 1}
    facts = json.loads(
        (workspace.log_dir("validate", instance.instance_id) / "run-1" / "before.json").read_text()
    )
    assert facts["attempt"] == 2 and facts["failure"] is None
