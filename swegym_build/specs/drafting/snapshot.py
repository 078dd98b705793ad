"""A read-only view of a repository at one commit, and what the readers found in it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from swegym_build.gitread import CommitTree, commit_date
from swegym_build.specs.model import LogParser

log = logging.getLogger(__name__)
# A repository is drafted at many commits (each version's environment commit, each candidate) and
# most files do not change between them: a warning is logged once per process, and every draft
# still lists its own in its header (moto: one workflow's 4 warnings were logged 52 times).
_LOGGED: set[str] = set()


class Snapshot:
    """The files of `repo_path` at `commit`, through git plumbing only (works on bare mirrors)."""

    def __init__(self, repo_path: Path, commit: str) -> None:
        self.repo_path = repo_path
        self.commit = commit
        self._tree = CommitTree(repo_path, commit)
        self.files = self._tree.paths
        self.date = datetime.fromisoformat(commit_date(repo_path, commit))

    def read(self, path: str) -> str | None:
        return self._tree.read(path)


@dataclass
class Findings:
    """What the static read of one commit turned up, with the source of each finding.

    `warnings` say what was dropped and from which file, for the draft's header and the log.
    """

    python: str | None = None
    requires_python: str | None = None
    extras: list[str] = field(default_factory=list)
    requirement_files: list[str] = field(default_factory=list)
    constraint_files: list[str] = field(default_factory=list)
    local_paths: list[str] = field(default_factory=list)
    pip_packages: list[str] = field(default_factory=list)
    apt_packages: list[str] = field(default_factory=list)
    runner: LogParser | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def note(self, key: str, source: str) -> None:
        self.provenance.setdefault(key, source)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            if message not in _LOGGED:
                _LOGGED.add(message)
                log.warning("draft: %s", message)

    def add_requirement_file(self, path: str, source: str) -> None:
        if path not in self.requirement_files:
            self.requirement_files.append(path)
            self.note("install", f"{source} -r {path}")

    def add_constraint_file(self, path: str, source: str) -> None:
        if path not in self.constraint_files:
            self.constraint_files.append(path)
            self.note("install", f"{source} -c {path}")

    def add_extras(self, names: list[str], source: str) -> None:
        new = [n for n in names if n not in self.extras]
        self.extras.extend(new)
        if new:
            self.note("install", f"{source} extras {', '.join(new)}")
