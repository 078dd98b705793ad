"""Publish refuses, naming the instance, when an earlier stage's hand-off is missing; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from swegym_build.errors import PublishError
from swegym_build.handoff import append_built
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.publish.stage import PublishOptions, run_publish
from swegym_build.records import BuiltInstance
from swegym_build.state import StateStore
from swegym_build.workspace import Workspace
from tests.publish.helpers import make_instance

ID = "swegym-demo__calculator-7"


def _validated(tmp_path: Path) -> Workspace:
    workspace = Workspace.resolve(tmp_path / "ws")
    instance = make_instance(7, FAIL_TO_PASS=["tests/test_ops.py::test_add"])
    write_jsonl_atomically(workspace.raw_file(instance.repo), [instance.to_dict()])
    write_jsonl_atomically(workspace.validated_file(instance.repo), [instance.to_dict()])
    return workspace


def test_a_validated_task_without_a_built_image_is_named(tmp_path: Path) -> None:
    workspace = _validated(tmp_path)
    with pytest.raises(PublishError, match=rf"{ID}: validated but its image is not recorded"):
        run_publish(workspace, StateStore(workspace.state_db), PublishOptions("acme/x", dry_run=True))
    assert not workspace.out_dir.exists() and not workspace.published_file("acme/x").exists()


def test_a_validated_task_without_its_result_is_named(tmp_path: Path) -> None:
    workspace = _validated(tmp_path)
    append_built(
        workspace,
        BuiltInstance(ID, "swegym-demo/calculator", "img:1", "sha256:1", "env:1", 1, "3.11"),
    )
    with pytest.raises(PublishError, match=rf"{ID}: validated but its result.json is missing"):
        run_publish(workspace, StateStore(workspace.state_db), PublishOptions("acme/x", dry_run=True))
    assert not workspace.out_dir.exists()


def test_nothing_validated_says_what_to_run(tmp_path: Path) -> None:
    workspace = Workspace.resolve(tmp_path / "ws")
    with pytest.raises(PublishError, match="run `swegym-build validate` first"):
        run_publish(workspace, StateStore(workspace.state_db), PublishOptions("acme/x", dry_run=True))
