"""The versions stage: each raw instance's `version`, `environment_setup_commit` and `install_config`.

Reads `raw/<repo>.jsonl`, writes `versioned/<repo>.jsonl` whole (it is derived: the environment
commit of a version depends on every instance of that version). Inference results are kept in
the state store keyed by base commit and override, so a re-run only reads new commits.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from swegym_build.errors import GitError, SpecError
from swegym_build.images.uv_python import PythonDownloads
from swegym_build.jsonl import read_jsonl, write_jsonl_atomically
from swegym_build.records import TaskInstance
from swegym_build.specs import RepoSpec, draft_spec, load_spec, write_draft
from swegym_build.state import FAILED, KEPT, REJECTED, StateStore
from swegym_build.versions.infer import infer_version
from swegym_build.versions.models import VersionInfo, VersionOverride
from swegym_build.versions.python_choice import Fallback, PythonChoice, choose_python, project_pythons
from swegym_build.versions.scm import PRETEND_VERSION_ENV, pretend_version, versioned_by_git
from swegym_build.versions.setup_commits import select_environment_setup_commits
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "versions"
NO_VERSION = "no_version"
NO_SPEC = "no_spec"
NO_MIRROR = "no_mirror"
NO_PYTHON = "no_python"


@dataclass(frozen=True)
class PythonOptions:
    """How the versions stage settles each environment's Python (see `python_choice`)."""

    fallback: Fallback = "nearest"
    downloads: PythonDownloads = field(default_factory=PythonDownloads.from_env)


@dataclass
class VersionsSummary:
    outcomes: Counter[str] = field(default_factory=Counter)
    # (repo, version) -> (environment_setup_commit, number of instances)
    versions: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    drafts: list[Path] = field(default_factory=list)
    unversioned: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    # (repo, version) -> the Python it gets; substitutions and impossible ones are reported
    pythons: dict[tuple[str, str], PythonChoice] = field(default_factory=dict)
    scm_versioned: dict[str, bool] = field(default_factory=dict)  # environment commit -> git-versioned

    @property
    def substitutions(self) -> dict[tuple[str, str], PythonChoice]:
        return {key: choice for key, choice in self.pythons.items() if choice.substituted}

    @property
    def no_python(self) -> dict[tuple[str, str], PythonChoice]:
        return {key: choice for key, choice in self.pythons.items() if choice.python is None}


def run_versions(
    workspace: Workspace,
    state: StateStore,
    repos: list[str] | None = None,
    notify: Callable[[str, int, int], None] = lambda *_: None,
    python: PythonOptions | None = None,
) -> VersionsSummary:
    summary = VersionsSummary()
    for repo in repos or workspace.raw_repos():
        _version_repo(workspace, state, repo, summary, notify, python or PythonOptions())
    return summary


def _version_repo(
    workspace: Workspace,
    state: StateStore,
    repo: str,
    summary: VersionsSummary,
    notify: Callable[[str, int, int], None],
    python: PythonOptions,
) -> None:
    instances = [TaskInstance.from_dict(row) for row in read_jsonl(workspace.raw_file(repo))]
    mirror = workspace.mirror_dir(repo)
    if not mirror.exists():
        for instance in instances:
            _reject(
                state, instance, NO_MIRROR, f"no mirror at {mirror}; run `swegym-build mine` first", summary
            )
        return
    spec = load_spec(repo)
    override = VersionOverride(**spec.version_override_fields()) if spec else None

    versioned: list[TaskInstance] = []
    for done, instance in enumerate(instances, 1):
        notify(repo, done, len(instances))
        info = _infer_cached(state, mirror, instance, override, summary)
        if info is not None:
            instance.version = info.version
            versioned.append(instance)

    setup_commits = select_environment_setup_commits(versioned)
    if spec is None and setup_commits:
        # No hand-written spec: draft one, each version read at its own environment commit (so a
        # history whose Python support changed gets one entry per era), for the user to edit.
        newest = versioned[-1]
        commits = {version: commit for (r, version), commit in setup_commits.items() if r == repo}
        spec = draft_spec(mirror, setup_commits[(repo, newest.version or "")], repo, versions=commits)
        write_draft(spec, workspace.draft_spec_file(repo))
        summary.drafts.append(workspace.draft_spec_file(repo))
    kept: list[TaskInstance] = []
    for instance in versioned:
        version = instance.version or ""
        commit = setup_commits[(repo, version)]
        try:
            entry = _require(spec).for_version(version)
        except SpecError as error:
            _reject(state, instance, NO_SPEC, str(error), summary)
            continue
        choice = _python_for(workspace, mirror, repo, version, commit, entry.python, python, summary)
        if choice.python is None:
            _reject(state, instance, NO_PYTHON, choice.reason, summary)
            continue
        instance.environment_setup_commit = commit
        instance.install_config = entry.to_install_config(
            exclude_newer=_commit_date(mirror, commit), python=choice.python
        )
        if _versioned_by_git(mirror, commit, summary):
            instance.install_config["env"].setdefault(PRETEND_VERSION_ENV, pretend_version(version))
        kept.append(instance)
        count = summary.versions.get((repo, version), (commit, 0))[1]
        summary.versions[(repo, version)] = (commit, count + 1)
        summary.outcomes[KEPT] += 1
    write_jsonl_atomically(workspace.versioned_file(repo), (i.to_dict() for i in kept))
    summary.files.append(workspace.versioned_file(repo))


def _python_for(
    workspace: Workspace,
    mirror: Path,
    repo: str,
    version: str,
    commit: str,
    requested: str,
    options: PythonOptions,
    summary: VersionsSummary,
) -> PythonChoice:
    """The Python of (repo, version), settled once for all its instances and logged once."""
    key = (repo, version)
    if key not in summary.pythons:
        project = project_pythons(mirror, commit)
        choice = choose_python(requested, project, workspace.root, options.downloads, options.fallback)
        summary.pythons[key] = choice
        if choice.python is None:
            log.warning("%s %s: %s: %s", repo, version, NO_PYTHON, choice.reason)
        elif choice.substituted:
            log.warning("%s %s: Python %s for %s: %s", repo, version, choice.python, requested, choice.reason)
    return summary.pythons[key]


def _versioned_by_git(mirror: Path, commit: str, summary: VersionsSummary) -> bool:
    if commit not in summary.scm_versioned:
        summary.scm_versioned[commit] = versioned_by_git(mirror, commit)
    return summary.scm_versioned[commit]


def _require(spec: RepoSpec | None) -> RepoSpec:
    assert spec is not None, "a spec is loaded or drafted before any instance is versioned"
    return spec


def _infer_cached(
    state: StateStore,
    mirror: Path,
    instance: TaskInstance,
    override: VersionOverride | None,
    summary: VersionsSummary,
) -> VersionInfo | None:
    key = f"{instance.base_commit}|{override}"
    previous = state.get(instance.instance_id, STAGE)
    if previous and previous.inputs_key == key and previous.status == KEPT:
        return VersionInfo(**json.loads(previous.detail))
    try:
        info = infer_version(mirror, instance.base_commit, override)
    except GitError as error:
        _reject(state, instance, "error", str(error), summary, status=FAILED, key=key)
        return None
    if info is None:
        detail = "no version in the package files at the base commit, and no release tag before it"
        _reject(state, instance, NO_VERSION, detail, summary, key=key)
        summary.unversioned.append(instance.instance_id)
        return None
    state.record(
        instance_id=instance.instance_id,
        stage=STAGE,
        repo=instance.repo,
        status=KEPT,
        detail=json.dumps({"version": info.version, "source": info.source, "raw": info.raw}),
        inputs_key=key,
    )
    return info


def _reject(
    state: StateStore,
    instance: TaskInstance,
    reason: str,
    detail: str,
    summary: VersionsSummary,
    status: str = REJECTED,
    key: str = "",
) -> None:
    log.info("%s: %s (%s)", instance.instance_id, reason, detail)
    state.record(
        instance_id=instance.instance_id,
        stage=STAGE,
        repo=instance.repo,
        status=status,
        reason=reason,
        detail=detail,
        inputs_key=key,
    )
    summary.outcomes[reason] += 1


def _commit_date(mirror: Path, commit: str) -> str:
    result = subprocess.run(
        ["git", "show", "-s", "--format=%cI", commit], cwd=mirror, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise GitError(f"cannot read the date of {commit} in {mirror}: {result.stderr.strip()}")
    return result.stdout.strip()
