"""Resolved spec records: `RepoSpec` (one repository) and `VersionSpec` (one version's recipe).

These are plain dataclasses used by the core; the pydantic models that check the YAML live in
`schema.py`, at the I/O boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

from swegym_build.errors import SpecError
from swegym_build.records import TestCases
from swegym_build.specs.ranges import Selector, parse_version

LogParser = Literal["pytest", "unittest", "exit_code"]
_PYTEST_SCRIPT = re.compile(r"^(?:py\.test|pytest)(?=\s|$)")


@dataclass(frozen=True)
class VersionSpec:
    """The environment recipe for one version of a repository, defaults already applied."""

    repo: str
    version_key: str
    python: str
    install: tuple[str, ...]
    test_cmd: str
    log_parser: LogParser
    apt_packages: tuple[str, ...] = ()
    pre_install: tuple[str, ...] = ()
    pip_packages: tuple[str, ...] = ()
    pip_constraints: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    test_cases: TestCases | None = None
    # test paths (globs) the verification's collection leaves out (`--ignore-glob`): modules that
    # need what no env can have (a GPU library, a conda-only engine)
    collect_ignore: tuple[str, ...] = ()
    # `pytest` (the console script) does not put the repository on sys.path, `python -m pytest`
    # does, as most projects' CI runs it; a spec opts out with `pytest_as_module: false`.
    pytest_as_module: bool = True

    @property
    def effective_test_cmd(self) -> str:
        """The test command as it runs: `pytest ...` becomes `python -m pytest ...` unless opted out."""
        if self.pytest_as_module and _PYTEST_SCRIPT.match(self.test_cmd):
            return _PYTEST_SCRIPT.sub("python -m pytest", self.test_cmd, count=1)
        return self.test_cmd

    def to_install_config(
        self, exclude_newer: str | None = None, python: str | None = None
    ) -> dict[str, Any]:
        """The recipe as a JSON-serialisable dict, carried by every task row.

        `python` is the Python the environment gets when it is not the spec's (the versions stage
        substitutes the nearest one the project allows when no provider has the spec's);
        `python_requested` always keeps the spec's.

        `exclude_newer` is the cut-off for dependency resolution (the date of the
        `environment_setup_commit`): the installer passes it to `uv pip install --exclude-newer`
        so old commits get the packages that existed when they were made. It is normalised to
        RFC 3339 in UTC (`2021-03-04T05:06:07Z`); a bare date stays a date.
        """
        config: dict[str, Any] = {
            "repo": self.repo,
            "version_key": self.version_key,
            "python": python or self.python,
            "python_requested": self.python,
            "apt_packages": list(self.apt_packages),
            "pre_install": list(self.pre_install),
            "install": list(self.install),
            "pip_packages": list(self.pip_packages),
            "pip_constraints": list(self.pip_constraints),
            "test_cmd": self.effective_test_cmd,
            "log_parser": self.log_parser,
            "env": dict(self.env),
            "exclude_newer": normalise_exclude_newer(exclude_newer) if exclude_newer else None,
        }
        # only when set: the rows (and env images) of every other recipe stay as they were
        if self.test_cases:
            config["test_cases"] = self.test_cases.to_dict()
        if self.collect_ignore:
            config["collect_ignore"] = list(self.collect_ignore)
        return config


def normalise_exclude_newer(value: str) -> str:
    """Normalise a date or timestamp (git's `%cI`, ISO 8601) to what `uv --exclude-newer` takes.

    Raises `SpecError` for anything that is not an ISO date or timestamp.
    """
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        # Python 3.10's fromisoformat does not read a trailing "Z"
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError as exc:
        raise SpecError(
            f"exclude_newer {value!r} is not an ISO 8601 date or timestamp "
            "(use the commit date, e.g. `git show -s --format=%cI COMMIT`)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class VersionEntry:
    """One `versions:` key of a spec file with its parsed selectors and resolved recipe."""

    key: str
    selectors: tuple[Selector, ...]
    spec: VersionSpec


@dataclass(frozen=True)
class RepoSpec:
    """Everything a spec file says about one repository."""

    repo: str
    entries: tuple[VersionEntry, ...]
    test_file_patterns: list[str] | None = None
    version_file: str | None = None
    version_pattern: str | None = None
    version_tag_pattern: str | None = None
    source: Path | None = None
    # Filled by `draft_spec` (field -> where its value came from); empty for hand-written specs.
    provenance: dict[str, str] = field(default_factory=dict)
    # Filled by `draft_spec`: what was dropped or renamed while drafting, each naming its file.
    warnings: tuple[str, ...] = ()

    def for_version(self, version: str) -> VersionSpec:
        """The recipe for `version` (e.g. `"1.3"`).

        When several keys match, the most specific wins: keys are checked on load to be nested
        or disjoint, so the matching selectors form a chain and the innermost one is chosen
        (an exact `1.3` beats `1.0-1.9`, which beats `1.0+`, which beats `*`).
        Raises `SpecError` naming the file and the version when no key matches.
        """
        wanted = parse_version(version)
        matching = [(sel, entry) for entry in self.entries for sel in entry.selectors if sel.matches(wanted)]
        if not matching:
            keys = ", ".join(repr(e.key) for e in self.entries)
            raise SpecError(
                f"{self._where()}: no version range matches version {version!r} of {self.repo} "
                f"(keys: {keys}); add a range for it to the spec"
            )
        innermost = next(
            entry for sel, entry in matching if all(other.contains(sel) for other, _ in matching)
        )
        return innermost.spec

    def version_override_fields(self) -> dict[str, str | None]:
        """The `version:` block as keyword arguments for `swegym_build.versions.VersionOverride`."""
        return {
            "version_file": self.version_file,
            "pattern": self.version_pattern,
            "tag_pattern": self.version_tag_pattern,
        }

    def _where(self) -> str:
        return str(self.source) if self.source else f"spec for {self.repo}"
