"""The validate stage on the sample world, on the real Docker engine."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import docker
import pytest

from swegym_build.handoff import append_built, read_result, read_versioned
from swegym_build.jsonl import read_jsonl
from swegym_build.records import BuiltInstance, ValidationResult
from swegym_build.state import StateStore
from swegym_build.validate.stage import ValidateOptions, run_validate
from swegym_build.workspace import Workspace
from tests.conftest import VALIDATION_TIMEOUT

pytestmark = pytest.mark.docker
REPO = "swegym-demo/calculator"


@pytest.fixture
def validated(validated_sample: Workspace) -> Workspace:
    return validated_sample


def _result(workspace: Workspace, pull: int) -> ValidationResult:
    result = read_result(workspace, f"swegym-demo__calculator-{pull}")
    assert result is not None
    return result


def test_the_good_fix_is_kept_with_the_exact_test_lists(validated: Workspace) -> None:
    result = _result(validated, 2)
    assert result.reason == "kept"
    assert result.FAIL_TO_PASS == ["tests/test_ops.py::test_divide_by_zero_raises_calculator_error"]
    assert result.PASS_TO_PASS == [
        "tests/test_ops.py::test_add",
        "tests/test_ops.py::test_divide",
        "tests/test_ops.py::test_multiply_ints",
    ]
    assert result.flaky_tests == [] and result.PASS_TO_FAIL == []
    rows = {row["instance_id"]: row for row in read_jsonl(validated.validated_file(REPO))}
    assert rows["swegym-demo__calculator-2"]["FAIL_TO_PASS"] == result.FAIL_TO_PASS
    assert set(rows) == {f"swegym-demo__calculator-{n}" for n in (2, 10, 13, 21)}


def test_a_test_that_already_passes_is_no_fail_to_pass(validated: Workspace) -> None:
    result = _result(validated, 15)
    assert result.reason == "no_fail_to_pass"
    assert result.PASS_TO_PASS == ["tests/test_bigint.py::test_add_big_integers"]
    # Later runs could only take candidates away: the rejection costs one run, not three.
    assert len(result.runs) == 1 and result.detail == (
        "stopped after run 1 of 3: no test failed before the fix and passed after it; after the fix: 1 passed"
    )
    assert not (validated.log_dir("validate", "swegym-demo__calculator-15") / "run-2").exists()


def test_the_planted_flaky_test_has_no_state_to_be_flaky_with(validated: Workspace) -> None:
    # The sample's planted flaky test fails on every second run in the same container (a counter
    # in /tmp). Every side now starts in a fresh container, so nothing carries over: it passes
    # every time after the fix, as it does in any grader's fresh container, and is FAIL_TO_PASS.
    result = _result(validated, 21)
    assert result.reason == "kept"
    assert result.flaky_tests == []
    assert result.FAIL_TO_PASS == [
        "tests/test_stats.py::test_flaky_timing",
        "tests/test_stats.py::test_mean",
    ]


def test_a_hanging_test_hits_the_time_limit(validated: Workspace) -> None:
    result = _result(validated, 23)
    assert result.reason == "timeout"
    assert VALIDATION_TIMEOUT <= result.wall_seconds < VALIDATION_TIMEOUT + 30


def test_a_test_that_needs_the_network_fails_in_the_container(validated: Workspace) -> None:
    result = _result(validated, 25)
    assert result.reason == "no_fail_to_pass"
    assert result.FAIL_TO_FAIL == ["tests/test_health.py::test_index_reachable"]
    # the rejection names why: the run had no network
    assert (
        "no test failed before the fix and passed after it; after the fix: 1 failed; raised: "
        in result.detail
    )
    assert (
        "Temporary failure in name resolution" in result.detail or "Network is unreachable" in result.detail
    )
    log = (validated.log_dir("validate", "swegym-demo__calculator-25") / "run-1" / "after.log").read_text()
    assert "Temporary failure in name resolution" in log or "Network is unreachable" in log


def test_logs_exit_codes_and_the_side_scripts_are_kept(validated: Workspace) -> None:
    folder = validated.log_dir("validate", "swegym-demo__calculator-2")
    before = (folder / "run-1" / "before.sh").read_text()
    assert 'git -c core.hooksPath=/dev/null -c core.fsmonitor=false "$@"' in before
    assert "harness_git apply" in before and "setpriv --reuid=1000" in before
    assert "gold.patch" in (folder / "run-1" / "after.sh").read_text()
    for run in (1, 2, 3):
        before = json.loads((folder / f"run-{run}" / "before.json").read_text())
        after = json.loads((folder / f"run-{run}" / "after.json").read_text())
        assert (before["exit_code"], after["exit_code"]) == (1, 0)
        assert before["failure"] is None and after["disk_watched"]
        assert "1 failed, 3 passed" in (folder / f"run-{run}" / "before.log").read_text()
    # The overhead goal: at most 2 s per run (both sides) of harness time.
    assert (_result(validated, 2).overhead_per_run or 0) < 2.0


def _own_copy(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A private copy of the session's workspace, for a test that adds to it (others read it)."""
    return Workspace.resolve(shutil.copytree(workspace.root, tmp_path / "ws"))


def test_a_patch_climbing_out_is_refused_before_anything_runs(
    validated_sample: Workspace, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    validated = _own_copy(validated_sample, tmp_path)
    instance = read_versioned(validated, None, ["swegym-demo__calculator-2"])[0]
    climbing = instance.patch.replace("calculator/ops.py", "../../etc/ops.py")
    evil = dataclasses.replace(instance, instance_id="swegym-demo__calculator-666", patch=climbing)
    state = StateStore(validated.state_db)
    append_built(validated, BuiltInstance(evil.instance_id, REPO, "swegym-build-instance:does-not-matter",
                                          "sha256:0", "env:x", 0, "3.11"))  # fmt: skip

    summary = run_validate(validated, state, [evil], ValidateOptions(runs=1))

    assert summary.outcomes == {"unsafe_patch": 1}
    record = state.get(evil.instance_id, "validate")
    assert record is not None and "path outside the repository: ../../etc/ops.py" in record.detail
    assert not (validated.log_dir("validate", evil.instance_id) / "run-1").exists()


def test_finished_instances_are_not_run_again_unless_forced(
    validated_sample: Workspace, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    validated = _own_copy(validated_sample, tmp_path)
    state = StateStore(validated.state_db)
    instances = read_versioned(validated, None, ["swegym-demo__calculator-13"])
    again = run_validate(validated, state, instances, ValidateOptions(runs=3))
    assert again.already_done == 1 and not again.outcomes
    forced = run_validate(validated, state, instances, ValidateOptions(runs=3, force=True))
    assert forced.outcomes == {"kept": 1}
    # Judging one instance again rewrites the repository's file with all its kept rows.
    rows = {row["instance_id"] for row in read_jsonl(validated.validated_file(REPO))}
    assert rows == {f"swegym-demo__calculator-{n}" for n in (2, 10, 13, 21)}
