"""A read-only view of a repository at one commit, and what the readers found in it."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from swegym_build.errors import GitError
from swegym_build.specs.model import LogParser

log = logging.getLogger(__name__)


class Snapshot:
    """The files of `repo_path` at `commit`, through git plumbing only (works on bare mirrors)."""

    def __init__(self, repo_path: Path, commit: str) -> None:
        self.repo_path = repo_path
        self.commit = commit
        self.files = set(self._git("ls-tree", "-r", "--name-only", commit).splitlines())
        self.date = datetime.fromisoformat(self._git("show", "-s", "--format=%cI", commit).strip())

    def read(self, path: str) -> str | None:
        if path not in self.files:
            return None
        return self._git("show", f"{self.commit}:{path}")

    def _git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(self.repo_path), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
        if result.returncode != 0:
            raise GitError(f"git {' '.join(args)} failed in {self.repo_path}: {result.stderr.strip()}")
        return result.stdout


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
            log.warning("draft: %s", message)
            self.warnings.append(message)

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
