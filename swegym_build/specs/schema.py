"""Pydantic models for the YAML spec files: the I/O boundary, strict (`extra="forbid"`)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from swegym_build.specs.model import LogParser

_PYTHON = re.compile(r"^\d+\.\d+$")


class TestCasesFields(BaseModel):
    """`test_cases:`: tests that are named cases in data files (see `records.TestCases`)."""

    model_config = ConfigDict(extra="forbid")
    __test__ = False

    files: list[str] = Field(min_length=1, description="globs of the data files that hold test cases")
    name: str = Field(description="a regular expression over one line; group 1 is the case's name")

    @field_validator("name")
    @classmethod
    def _has_a_group(cls, value: str) -> str:
        try:
            groups = re.compile(value).groups
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        if groups < 1:
            raise ValueError("needs a group that captures the case's name, e.g. '^\\[case (\\w+)'")
        return value


class VersionFields(BaseModel):
    """The fields a `versions:` entry (or the `defaults:` block) may set; all optional here."""

    model_config = ConfigDict(extra="forbid")

    python: str | None = Field(default=None, description="Python major.minor, e.g. '3.10'")
    apt_packages: list[str] | None = None
    pre_install: list[str] | None = Field(default=None, description="shell commands before install")
    install: list[str] | None = Field(default=None, description="shell commands run in the repo")
    pip_packages: list[str] | None = None
    pip_constraints: list[str] | None = Field(default=None, description="pins applied to every pip step")
    test_cmd: str | None = None
    log_parser: LogParser | None = None
    env: dict[str, str] | None = None
    test_cases: TestCasesFields | None = None
    collect_ignore: list[str] | None = Field(
        default=None,
        description="test paths (globs) the verification does not collect: modules no env can import",
    )
    pytest_as_module: bool | None = Field(
        default=None, description="run a `pytest ...` test_cmd as `python -m pytest ...` (default true)"
    )
    verified: str | None = Field(
        default=None, description="informational: when and for which versions `build` verified the entry"
    )

    @field_validator("pre_install", "install", mode="before")
    @classmethod
    def _one_command_is_a_list(cls, value: object) -> object:
        # a single command is common enough that forcing a one-item list would only add noise
        return [value] if isinstance(value, str) else value

    @field_validator("python")
    @classmethod
    def _python_is_major_minor(cls, value: str | None) -> str | None:
        if value is not None and not _PYTHON.match(value):
            raise ValueError(f"python must be 'major.minor' such as '3.10', got {value!r}")
        return value


class VersionOverrideFields(BaseModel):
    """How the versions stage should read this repository's version, when its default fails."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = None
    pattern: str | None = None
    tag_pattern: str | None = None

    @field_validator("pattern", "tag_pattern")
    @classmethod
    def _is_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class SpecFile(BaseModel):
    """A whole `specs/OWNER__NAME.yaml` file."""

    model_config = ConfigDict(extra="forbid")

    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    test_file_patterns: list[str] | None = None
    version: VersionOverrideFields | None = None
    defaults: VersionFields = VersionFields()
    versions: dict[str, VersionFields] = Field(min_length=1)
