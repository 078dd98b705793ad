"""validated/<repo>.jsonl holds every kept instance of the repository, whatever subset ran."""

from __future__ import annotations

import json

from swegym_build.handoff import append_built
from swegym_build.jsonl import read_jsonl, write_jsonl_atomically
from swegym_build.records import BuiltInstance, TaskInstance
from swegym_build.state import KEPT, REJECTED, StateStore
from swegym_build.validate.stage import STAGE, ValidateOptions, _key, run_validate
from swegym_build.workspace import Workspace

REPO = "o/r"
IMAGE = "swegym-build-instance:x"


def _instance(number: int) -> TaskInstance:
    return TaskInstance.from_dict(
        {"repo": REPO, "instance_id": f"o__r-{number}", "base_commit": "0" * 40, "patch": "",
         "test_patch": "", "problem_statement": "p", "hints_text": "", "pull_number": number,
         "issue_numbers": [1], "version": "1.0", "created_at": "2020-01-01T00:00:00Z"}
    )  # fmt: skip


def _judged(workspace: Workspace, state: StateStore, number: int, reason: str) -> None:
    instance_id = f"o__r-{number}"
    append_built(workspace, BuiltInstance(instance_id, REPO, IMAGE, "sha256:0", "env:x", 0, "3.11"))
    state.record(instance_id=instance_id, stage=STAGE, repo=REPO, status=KEPT if reason == KEPT else REJECTED,
                 reason="" if reason == KEPT else reason, inputs_key=_key(IMAGE, 1))  # fmt: skip
    folder = workspace.log_dir(STAGE, instance_id)
    folder.mkdir(parents=True)
    lists = {"FAIL_TO_PASS": [f"t.py::test_{number}"], "PASS_TO_PASS": [], "PASS_TO_FAIL": [],
             "FAIL_TO_FAIL": [], "flaky_tests": []}  # fmt: skip
    (folder / "result.json").write_text(json.dumps({"instance_id": instance_id, "reason": reason, **lists}))


def test_validating_a_subset_keeps_the_other_kept_rows(workspace: Workspace) -> None:
    state = StateStore(workspace.state_db)
    instances = [_instance(n) for n in (1, 2, 3, 4)]
    write_jsonl_atomically(workspace.versioned_file(REPO), [i.to_dict() for i in instances])
    for number, reason in ((1, KEPT), (2, "no_fail_to_pass"), (3, KEPT), (4, KEPT)):
        _judged(workspace, state, number, reason)

    # Only #3 is asked for; it was judged already, so nothing runs (no engine needed).
    summary = run_validate(workspace, state, [instances[2]], ValidateOptions(runs=1))

    assert summary.already_done == 1
    rows = list(read_jsonl(workspace.validated_file(REPO)))
    assert [row["instance_id"] for row in rows] == ["o__r-1", "o__r-3", "o__r-4"]
    assert rows[0]["FAIL_TO_PASS"] == ["t.py::test_1"]
