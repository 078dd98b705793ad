"""Typed records shared by every stage.

`TaskInstance` follows the SWE-bench schema, so rows read by existing harnesses need no change;
the extra fields are ours. Records are plain dataclasses in the core; (de)serialisation to the
JSONL and Parquet forms lives here too so every stage agrees on it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

SEPARATOR = "__"


def instance_id_for(repo: str, pull_number: int) -> str:
    """`owner/name` + PR 12 -> `owner__name-12` (SWE-bench's convention)."""
    owner, name = repo.split("/", 1)
    return f"{owner}{SEPARATOR}{name}-{pull_number}"


def repo_slug(repo: str) -> str:
    """`owner/name` -> `owner__name`, the name used for files in the workspace."""
    return repo.replace("/", SEPARATOR, 1)


@dataclass
class TaskInstance:
    """One candidate (and, after validation, one task) in the SWE-bench schema."""

    repo: str
    instance_id: str
    base_commit: str
    patch: str
    test_patch: str
    problem_statement: str
    hints_text: str
    created_at: str
    pull_number: int
    issue_numbers: list[int]
    version: str | None = None
    environment_setup_commit: str | None = None
    FAIL_TO_PASS: list[str] = field(default_factory=list)
    PASS_TO_PASS: list[str] = field(default_factory=list)
    PASS_TO_FAIL: list[str] = field(default_factory=list)
    FAIL_TO_FAIL: list[str] = field(default_factory=list)
    flaky_tests: list[str] = field(default_factory=list)
    # XFAIL / XPASS on some side: in no other list (SWE-bench keeps them out of PASS_TO_PASS).
    xfail_tests: list[str] = field(default_factory=list)
    image_name: str | None = None
    install_config: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskInstance:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"unknown fields for TaskInstance {data.get('instance_id')!r}: {sorted(unknown)}"
            )
        return cls(**data)
