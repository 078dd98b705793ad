"""The typed record files stages hand each other: versioned → built → validated.

Each stage reads the previous stage's file and writes its own; the state store keeps progress
and reasons only. built/<repo>.jsonl is appended as each image is recorded (one `kill -9`-safe
line each); the last line for an instance wins, so a rebuild needs no rewrite.
"""

from __future__ import annotations

from collections.abc import Iterable

from swegym_build.jsonl import AppendOnlyJsonl, read_jsonl
from swegym_build.records import BuiltInstance, TaskInstance
from swegym_build.workspace import Workspace


def read_versioned(
    workspace: Workspace, repos: Iterable[str] | None = None, ids: Iterable[str] | None = None
) -> list[TaskInstance]:
    """The versioned instances of `repos` (default: every mined repository), optionally only `ids`."""
    chosen = set(ids or ())
    return [
        TaskInstance.from_dict(row)
        for repo in repos or workspace.raw_repos()
        for row in read_jsonl(workspace.versioned_file(repo))
        if not chosen or row["instance_id"] in chosen
    ]


def append_built(workspace: Workspace, record: BuiltInstance) -> None:
    AppendOnlyJsonl(workspace.built_file(record.repo)).append(record.to_dict())


def read_built(workspace: Workspace, repos: Iterable[str] | None = None) -> dict[str, BuiltInstance]:
    """instance id -> its newest built record, for `repos` (default: every mined repository)."""
    built: dict[str, BuiltInstance] = {}
    for repo in repos or workspace.raw_repos():
        for row in read_jsonl(workspace.built_file(repo)):
            record = BuiltInstance.from_dict(row)
            built[record.instance_id] = record
    return built


def read_validated(workspace: Workspace, repos: Iterable[str] | None = None) -> list[TaskInstance]:
    return [
        TaskInstance.from_dict(row)
        for repo in repos or workspace.raw_repos()
        for row in read_jsonl(workspace.validated_file(repo))
    ]
