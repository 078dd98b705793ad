"""The typed record files stages hand each other: versioned → built → validated → published.

Each stage reads the previous stage's file and writes its own; the state store keeps progress
and reasons only. built/<repo>.jsonl is appended as each image is recorded (one `kill -9`-safe
line each); the last line for an instance wins, so a rebuild needs no rewrite. verified/<repo>.jsonl
(build's verification, one line per (repo, version)) decides which recipe the instances carry.
published/<dataset>.jsonl is rewritten by every publish of that dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace

from swegym_build.errors import SwegymError
from swegym_build.jsonl import AppendOnlyJsonl, read_jsonl
from swegym_build.records import BuiltInstance, PublishedInstance, TaskInstance, ValidationResult
from swegym_build.verify.loop import EnvVerification
from swegym_build.verify.records import read_verifications
from swegym_build.workspace import Workspace


def read_versioned(
    workspace: Workspace, repos: Iterable[str] | None = None, ids: Iterable[str] | None = None
) -> list[TaskInstance]:
    """The versioned instances of `repos` (default: every mined repository), optionally only `ids`,
    each with the recipe its (repo, version) verified with (verified/<repo>.jsonl): a drafted
    recipe's winning candidate replaces the first draft for every later stage."""
    chosen = set(ids or ())
    instances = [
        TaskInstance.from_dict(row)
        for repo in repos or workspace.raw_repos()
        for row in read_jsonl(workspace.versioned_file(repo))
        if not chosen or row["instance_id"] in chosen
    ]
    return with_verified_recipes(workspace, instances)


def select_versioned(
    workspace: Workspace, repos: list[str] | None = None, ids: list[str] | None = None
) -> list[TaskInstance]:
    """`read_versioned` for a user's `--repo`/`--instances`: a name the workspace does not hold is
    an error naming it (a typo would otherwise select nothing, and the stage would report 0)."""
    for repo in repos or ():
        if not workspace.versioned_file(repo).exists():
            raise SwegymError(f"{repo}: no versioned instances in {workspace.root} (run `versions` first)")
    instances = read_versioned(workspace, repos, ids)
    missing = sorted(set(ids or ()) - {i.instance_id for i in instances})
    if missing:
        where = f" of {', '.join(repos)}" if repos else ""
        raise SwegymError(
            f"no versioned instance{where} is named {', '.join(missing)} in {workspace.root} "
            "(`swegym-build status --instances` lists them)"
        )
    return instances


def with_verified_recipes(workspace: Workspace, instances: list[TaskInstance]) -> list[TaskInstance]:
    """The instances with the recipe their (repository, version) verified with, where it is not
    the one they were versioned with (a drafted recipe's winning candidate)."""
    records: dict[str, dict[str, EnvVerification]] = {}
    out: list[TaskInstance] = []
    for instance in instances:
        if instance.repo not in records:
            records[instance.repo] = read_verifications(workspace, instance.repo)
        record = records[instance.repo].get(instance.version or "")
        if (
            record is not None
            and record.recipe is not None
            and instance.install_config == record.first_recipe
        ):
            instance = replace(instance, install_config=dict(record.recipe))
        out.append(instance)
    return out


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


def read_result(workspace: Workspace, instance_id: str) -> ValidationResult | None:
    """What validate concluded for one instance (logs/validate/<id>/result.json), if it did."""
    path = workspace.log_dir("validate", instance_id) / "result.json"
    return ValidationResult.from_dict(json.loads(path.read_text())) if path.exists() else None


def read_validated(workspace: Workspace, repos: Iterable[str] | None = None) -> list[TaskInstance]:
    return [
        TaskInstance.from_dict(row)
        for repo in repos or workspace.raw_repos()
        for row in read_jsonl(workspace.validated_file(repo))
    ]


def read_published(workspace: Workspace, dataset: str) -> list[PublishedInstance]:
    """The tasks the last publish of `dataset` put in it."""
    return [PublishedInstance.from_dict(row) for row in read_jsonl(workspace.published_file(dataset))]
