"""Typed records shared by every stage.

`TaskInstance` follows the SWE-bench schema, so rows read by existing harnesses need no change;
the extra fields are ours. Records are plain dataclasses in the core; (de)serialisation to the
JSONL and Parquet forms lives here too so every stage agrees on it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SEPARATOR = "__"


def instance_id_for(repo: str, pull_number: int) -> str:
    """`owner/name` + PR 12 -> `owner__name-12` (SWE-bench's convention)."""
    owner, name = repo.split("/", 1)
    return f"{owner}{SEPARATOR}{name}-{pull_number}"


def parse_created_at(value: str) -> datetime:
    """A row's `created_at` as an aware datetime."""
    # GitHub writes `2021-04-30T15:58:20Z`, SWE-Gym rows also `2024-02-19 20:29:03`; both are UTC.
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def repo_slug(repo: str) -> str:
    """`owner/name` -> `owner__name`, the name used for files in the workspace."""
    return repo.replace("/", SEPARATOR, 1)


@dataclass(frozen=True)
class TestCases:
    """Tests that are cases in data files, not functions in test modules (mypy's `[case testX]`
    blocks in `test-data/unit/*.test`): which files hold them and how a case's name is read.

    A test patch that touches such files has its cases run by name (pytest `-k`), so an edit to
    one data file does not run the whole suite.
    """

    __test__ = False  # not a pytest test class, whatever its name

    files: tuple[str, ...]  # gitignore-like globs, as `test_file_patterns`
    name: str  # a regular expression over one line; its first group is the case's name

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TestCases | None:
        return cls(tuple(data["files"]), str(data["name"])) if data else None

    def to_dict(self) -> dict[str, Any]:
        return {"files": list(self.files), "name": self.name}


@dataclass(frozen=True)
class InstallConfig:
    """The resolved environment recipe a row carries (`install_config`), as `versions` wrote it.

    On the wire (JSONL, Parquet) it stays a plain object so a row is runnable on its own; in code
    it is read through this record, so a missing key is one clear error naming the instance.
    """

    python: str
    test_cmd: str
    log_parser: str
    python_requested: str = ""
    repo: str = ""
    version_key: str = ""
    apt_packages: tuple[str, ...] = ()
    pre_install: tuple[str, ...] = ()
    install: tuple[str, ...] = ()
    pip_packages: tuple[str, ...] = ()
    pip_constraints: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    exclude_newer: str | None = None  # the dependency cut-off (the environment commit's date)
    test_cases: TestCases | None = None
    # test paths (globs) the verification does not collect: modules no env can import (a GPU library)
    collect_ignore: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, instance_id: str = "") -> InstallConfig:
        where = f"{instance_id}: " if instance_id else ""
        if not data:
            raise ValueError(f"{where}install_config has no test_cmd, log_parser or python (there is none): "
                             "run `swegym-build versions`")  # fmt: skip
        missing = [name for name in ("python", "test_cmd", "log_parser") if not data.get(name)]
        if missing:
            raise ValueError(
                f"{where}install_config has no {', '.join(missing)}: run `swegym-build versions`"
            )
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in data and data[f.name] is not None:
                value = data[f.name]
                values[f.name] = tuple(value) if isinstance(value, list) else value
        values["python"] = str(values["python"])
        values["env"] = {str(k): str(v) for k, v in (data.get("env") or {}).items()}
        values["test_cases"] = TestCases.from_dict(data.get("test_cases"))
        return cls(**values)


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

    @property
    def config(self) -> InstallConfig:
        """`install_config` as a typed record (ValueError naming the instance when it is unusable)."""
        return InstallConfig.from_dict(self.install_config, self.instance_id)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskInstance:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"unknown fields for TaskInstance {data.get('instance_id')!r}: {sorted(unknown)}"
            )
        return cls(**data)


@dataclass(frozen=True)
class BuiltInstance:
    """What `build` hands the later stages for one instance (a line of built/<repo>.jsonl)."""

    instance_id: str
    repo: str
    image: str  # the instance image's tag
    image_id: str
    env_image: str  # the env image's tag, shared by the instances of one version
    marginal_bytes: int  # the instance's own layers above the env image
    python: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuiltInstance:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class PublishedInstance:
    """Where `publish` put one task (a line of published/<ORG__DATASET>.jsonl)."""

    instance_id: str
    repo: str
    dataset: str  # the hub dataset, ORG/NAME
    image: str  # the name the row gives its image (pushed, or tagged locally by a dry run)
    splits: list[str]  # the dataset's splits that hold the row
    folder: str  # the dataset folder written
    commit_url: str | None  # the hub commit holding it; None for a dry run

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PublishedInstance:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class RunRecord:
    """One run's test statuses (test id -> status name), before and after the gold patch."""

    before: dict[str, str]
    after: dict[str, str]


@dataclass
class ValidationResult:
    """What `validate` concluded for one instance (logs/validate/<id>/result.json).

    `runs` holds the statuses of every run that finished; `runs_requested` is how many were
    asked for (publish states it in the dataset card).
    """

    instance_id: str
    reason: str  # "kept", or why the instance was not kept
    detail: str = ""
    image: str | None = None
    runs_requested: int = 0
    runs: list[RunRecord] = field(default_factory=list)
    FAIL_TO_PASS: list[str] = field(default_factory=list)
    PASS_TO_PASS: list[str] = field(default_factory=list)
    PASS_TO_FAIL: list[str] = field(default_factory=list)
    FAIL_TO_FAIL: list[str] = field(default_factory=list)
    flaky_tests: list[str] = field(default_factory=list)
    xfail_tests: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)  # e.g. phantom test ids
    wall_seconds: float | None = None
    test_seconds: float | None = None
    overhead_per_run: float | None = None  # the harness's own seconds per run (not the tests)
    disk_watched: bool | None = None
    logs: str = ""  # the folder holding the run logs

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationResult:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["runs"] = [RunRecord(**run) for run in values.get("runs", [])]
        return cls(**values)
