"""A first spec for a repository that has none, read statically from git.

Nothing from the repository is executed: files are read with `git show COMMIT:path` and parsed
as text, TOML, INI, YAML or a Python AST (the readers live in `swegym_build.specs.drafting`).
Given the environment commit of each version, every version is read at its own commit and
consecutive versions with the same recipe share one entry, so a history whose Python support
changed gets one entry per era instead of one `'*'` for all of it. The result is a starting
point for a human to edit, which is why `write_draft` records where each value came from and
what was dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from swegym_build.errors import SpecError
from swegym_build.specs.drafting.apt import check_apt_packages
from swegym_build.specs.drafting.metadata import detect_pytest_config, read_metadata, read_requirement_files
from swegym_build.specs.drafting.nox import read_nox
from swegym_build.specs.drafting.plugins import blocked_output_plugins
from swegym_build.specs.drafting.python import choose_python
from swegym_build.specs.drafting.snapshot import Findings, Snapshot
from swegym_build.specs.drafting.tox import read_tox
from swegym_build.specs.drafting.workflows import (
    matrix_pythons,
    read_circleci_apt,
    read_workflow_installs,
    workflow_jobs,
)
from swegym_build.specs.model import LogParser, RepoSpec, VersionEntry, VersionSpec
from swegym_build.specs.ranges import parse_key, parse_version

log = logging.getLogger(__name__)

ANY_VERSION = "*"


@dataclass(frozen=True)
class _CommitDraft:
    """The recipe read at one commit, before it is given a version key."""

    spec: VersionSpec
    provenance: dict[str, str]
    warnings: tuple[str, ...]


def draft_spec(
    repo_path: Path, commit: str, repo: str, versions: Mapping[str, str] | None = None
) -> RepoSpec:
    """Draft a spec for `repo` from its files in `repo_path` (a clone or bare mirror).

    With `versions` (version -> its environment commit), each version is read at its own commit
    and consecutive versions with equal recipes form one entry: the oldest group is keyed
    `0-<its newest version>`, the ones after it `<first>-<last>`, the newest `'*'` (so a version
    between sampled ones gets the newest recipe). Without it, `commit` is read for one `'*'`.
    Raises `GitError` when a commit cannot be read.
    """
    if not versions:
        draft = _draft_commit(repo_path, commit, repo)
        entry = VersionEntry(ANY_VERSION, parse_key(ANY_VERSION), draft.spec)
        return RepoSpec(repo=repo, entries=(entry,), provenance=draft.provenance, warnings=draft.warnings)
    try:
        ordered = sorted(versions, key=parse_version)
    except SpecError:
        log.warning("%s: versions %s are not all numeric; one '*' entry drafted", repo, sorted(versions))
        return draft_spec(repo_path, commit, repo)
    drafts = {version: _draft_commit(repo_path, versions[version], repo) for version in ordered}
    groups: list[list[str]] = []
    for version in ordered:
        if groups and drafts[groups[-1][-1]].spec == drafts[version].spec:
            groups[-1].append(version)
        else:
            groups.append([version])
    if len(groups) == 1:
        only = drafts[ordered[-1]]
        entry = VersionEntry(ANY_VERSION, parse_key(ANY_VERSION), only.spec)
        read_at = {**only.provenance, "read at": _read_at(ordered, versions)}
        return RepoSpec(repo=repo, entries=(entry,), provenance=read_at, warnings=only.warnings)
    entries: list[VersionEntry] = []
    provenance: dict[str, str] = {}
    warnings: list[str] = []
    for position, group in enumerate(groups):
        key = _group_key(group, position, len(groups))
        draft = drafts[group[-1]]
        entries.append(VersionEntry(key, parse_key(key), replace(draft.spec, version_key=key)))
        provenance.update({f"{key} {field}": source for field, source in draft.provenance.items()})
        provenance[f"{key} read at"] = _read_at(group, versions)
        warnings.extend(f"[{key}] {w}" for w in draft.warnings)
    log.info("drafted %d entries for %s over %d versions", len(entries), repo, len(ordered))
    return RepoSpec(repo=repo, entries=tuple(entries), provenance=provenance, warnings=tuple(warnings))


def _group_key(group: list[str], position: int, count: int) -> str:
    if position == count - 1:
        return ANY_VERSION
    first, last = "0" if position == 0 else str(parse_version(group[0])), str(parse_version(group[-1]))
    return last if first == last else f"{first}-{last}"


def _read_at(group: list[str], versions: Mapping[str, str]) -> str:
    newest = group[-1]
    span = newest if len(group) == 1 else f"{group[0]} .. {newest}"
    return f"versions {span}, the recipe of {newest} read at its environment commit {versions[newest][:12]}"


def _draft_commit(repo_path: Path, commit: str, repo: str) -> _CommitDraft:
    snap = Snapshot(repo_path, commit)
    found = Findings()
    classifiers = read_metadata(snap, found)
    jobs = workflow_jobs(snap, found)
    python = choose_python(found, snap.date, matrix_pythons(jobs), classifiers)
    read_tox(snap, found, python)
    read_nox(snap, found)
    read_workflow_installs(snap, found, jobs, python)
    read_circleci_apt(snap, found)
    read_requirement_files(snap, found)
    detect_pytest_config(snap, found)
    apt_packages = check_apt_packages(found, python)

    runner: LogParser = found.runner or "pytest"
    if found.runner is None:
        found.note("test_cmd", "no test runner named anywhere; pytest also runs unittest-style tests")
    constraints = "".join(f" -c {name}" for name in found.constraint_files)
    install = [f"python -m pip install -r {name}{constraints}" for name in found.requirement_files]
    if {"setup.py", "setup.cfg", "pyproject.toml"} & snap.files:
        target = f"'.[{','.join(found.extras)}]'" if found.extras else "."
        install.append(f"python -m pip install -e {target}{constraints}")
        found.note("install", "editable install of the project (setup.py / setup.cfg / pyproject.toml)")
    else:
        found.note("install", "no packaging metadata: only requirements files are installed")
    install.extend(f"python -m pip install '{path}'{constraints}" for path in found.local_paths)
    pip_packages = list(dict.fromkeys([*found.pip_packages, *(["pytest"] if runner == "pytest" else [])]))
    blocked = (
        "".join(f" {option}" for option in blocked_output_plugins(snap, found)) if runner == "pytest" else ""
    )
    spec = VersionSpec(
        repo=repo,
        version_key=ANY_VERSION,
        python=python,
        install=tuple(install),
        test_cmd=f"pytest -rA{blocked}" if runner == "pytest" else "python -m unittest discover -v",
        log_parser=runner,
        apt_packages=tuple(apt_packages),
        pip_packages=tuple(pip_packages),
    )
    log.info("drafted a recipe for %s at %s (python %s, %s)", repo, commit[:12], python, runner)
    return _CommitDraft(spec, found.provenance, tuple(found.warnings))


def write_draft(spec: RepoSpec, path: Path) -> None:
    """Write `spec` as an editable YAML file that `load_spec_file` accepts.

    A header says it is a draft, lists where each value came from and what was dropped.
    """
    header = [
        f"# DRAFT spec for {spec.repo}, generated by swegym-build from the repository's files.",
        "# Nothing was run to check it: review every value, then delete this header.",
        "# Where the values came from:",
        *(f"#   {key}: {source}" for key, source in sorted(spec.provenance.items())),
    ]
    if spec.warnings:
        header += ["# Dropped or changed while drafting:", *(f"#   {w}" for w in spec.warnings)]
    body: dict[str, Any] = {"repo": spec.repo}
    if spec.test_file_patterns is not None:
        body["test_file_patterns"] = list(spec.test_file_patterns)
    body["versions"] = {entry.key: entry_fields(entry.spec) for entry in spec.entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")


def entry_fields(spec: VersionSpec) -> dict[str, Any]:
    """One `versions:` entry of a spec file, as `load_spec_file` reads it."""
    entry: dict[str, Any] = {"python": spec.python}
    if spec.apt_packages:
        entry["apt_packages"] = list(spec.apt_packages)
    if spec.pre_install:
        entry["pre_install"] = list(spec.pre_install)
    entry["install"] = list(spec.install)
    if spec.pip_packages:
        entry["pip_packages"] = list(spec.pip_packages)
    if spec.pip_constraints:
        entry["pip_constraints"] = list(spec.pip_constraints)
    entry["test_cmd"] = spec.test_cmd
    entry["log_parser"] = spec.log_parser
    if spec.env:
        entry["env"] = dict(spec.env)
    if spec.test_cases:
        entry["test_cases"] = spec.test_cases.to_dict()
    if spec.collect_ignore:
        entry["collect_ignore"] = list(spec.collect_ignore)
    return entry
