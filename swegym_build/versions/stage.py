"""The versions stage: each raw instance's `version`, `environment_setup_commit` and `install_config`.

Reads `raw/<repo>.jsonl`, writes `versioned/<repo>.jsonl` whole (it is derived: the environment
commit of a version depends on every instance of that version). Inference results are kept in
the state store keyed by base commit and override, so a re-run only reads new commits.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from swegym_build.driver import Outcome, Planned, Stage, StageReport, drive
from swegym_build.errors import GitError, SpecError
from swegym_build.executors import LocalExecutor
from swegym_build.gitread import commit_date
from swegym_build.jsonl import read_jsonl, write_jsonl_atomically
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.records import TaskInstance
from swegym_build.specs import RepoSpec, draft_spec, load_spec, write_draft
from swegym_build.state import KEPT, StateStore
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
    # (repo, version) -> (environment_setup_commit, number of instances)
    versions: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    drafts: list[Path] = field(default_factory=list)
    unversioned: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    # (repo, version) -> the Python it gets; substitutions and impossible ones are reported
    pythons: dict[tuple[str, str], PythonChoice] = field(default_factory=dict)
    report: StageReport = field(default_factory=lambda: StageReport(STAGE))

    @property
    def outcomes(self) -> Counter[str]:
        return self.report.outcomes

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
    stage = VersionsStage(workspace, repos or workspace.raw_repos(), python or PythonOptions(), notify)
    stage.summary.report = drive(stage, state, LocalExecutor(1))
    return stage.summary


@dataclass(frozen=True)
class VersionsJob:
    """One repository's raw instances, with the inferences already stored (keyed by inputs)."""

    repo: str
    workspace: Workspace
    python: PythonOptions
    known: dict[str, tuple[str, VersionInfo]]  # instance id -> (inputs key, what was inferred)
    notify: Callable[[str, int, int], None] = field(compare=False)


@dataclass
class VersionsResult:
    """What versioning one repository came to; the driver records it."""

    versioned: list[TaskInstance] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    draft: RepoSpec | None = None
    versions: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    pythons: dict[tuple[str, str], PythonChoice] = field(default_factory=dict)
    unversioned: list[str] = field(default_factory=list)


class VersionsStage(Stage[VersionsJob, VersionsResult]):
    """Jobs per repository: its versioned file is derived from all its instances at once."""

    name: str = STAGE
    done: tuple[str, ...] = (KEPT,)

    def __init__(
        self,
        workspace: Workspace,
        repos: list[str],
        python: PythonOptions,
        notify: Callable[[str, int, int], None],
    ) -> None:
        self.workspace, self.repos, self.python, self.notify = workspace, repos, python, notify
        self.summary = VersionsSummary()

    def plan(self, state: StateStore) -> Iterator[Planned[VersionsJob]]:
        for repo in self.repos:
            known = {
                r.instance_id: (r.inputs_key, VersionInfo(**json.loads(r.detail)))
                for r in state.records(STAGE, repo)
                if r.status == KEPT and r.detail
            }
            yield Planned(VersionsJob(repo, self.workspace, self.python, known, self.notify), repo)

    def worker(self) -> Callable[[VersionsJob], VersionsResult]:
        return version_repo

    def settle(self, job: VersionsJob, result: VersionsResult) -> list[Outcome]:
        summary, repo = self.summary, job.repo
        if result.draft is not None:
            write_draft(result.draft, self.workspace.draft_spec_file(repo))
            summary.drafts.append(self.workspace.draft_spec_file(repo))
        if self.workspace.mirror_dir(repo).exists():
            write_jsonl_atomically(
                self.workspace.versioned_file(repo), (i.to_dict() for i in result.versioned)
            )
            summary.files.append(self.workspace.versioned_file(repo))
        summary.versions.update(result.versions)
        summary.pythons.update(result.pythons)
        summary.unversioned += result.unversioned
        return result.outcomes


def version_repo(job: VersionsJob) -> VersionsResult:
    """Version, environment commit and install_config for one repository's raw instances."""
    repo, result = job.repo, VersionsResult()
    instances = [TaskInstance.from_dict(row) for row in read_jsonl(job.workspace.raw_file(repo))]
    mirror = job.workspace.mirror_dir(repo)
    if not mirror.exists():
        detail = f"no mirror at {mirror}; run `swegym-build mine` first"
        result.outcomes = [_rejected(i, NO_MIRROR, detail) for i in instances]
        return result
    spec = load_spec(repo)
    override = VersionOverride(**spec.version_override_fields()) if spec else None

    inferred: dict[str, tuple[str, VersionInfo]] = {}  # instance id -> (inputs key, inference)
    versioned: list[TaskInstance] = []
    for done, instance in enumerate(instances, 1):
        job.notify(repo, done, len(instances))
        key = f"{instance.base_commit}|{override}"
        info = _infer(job, mirror, instance, override, key, result)
        if info is not None:
            inferred[instance.instance_id] = (key, info)
            instance.version = info.version
            versioned.append(instance)

    setup_commits = select_environment_setup_commits(versioned)
    if spec is None and setup_commits:
        # No hand-written spec: draft one, each version read at its own environment commit (so a
        # history whose Python support changed gets one entry per era), for the user to edit.
        newest = versioned[-1]
        commits = {version: commit for (r, version), commit in setup_commits.items() if r == repo}
        spec = result.draft = draft_spec(
            mirror, setup_commits[(repo, newest.version or "")], repo, versions=commits
        )
    scm_versioned: dict[str, bool] = {}
    for instance in versioned:
        version = instance.version or ""
        commit = setup_commits[(repo, version)]
        try:
            entry = _require(spec).for_version(version)
        except SpecError as error:
            result.outcomes.append(_rejected(instance, NO_SPEC, str(error)))
            continue
        choice = _python_for(job, mirror, version, commit, entry.python, result)
        if choice.python is None:
            result.outcomes.append(_rejected(instance, NO_PYTHON, choice.reason))
            continue
        instance.environment_setup_commit = commit
        instance.install_config = entry.to_install_config(
            exclude_newer=commit_date(mirror, commit), python=choice.python
        )
        if commit not in scm_versioned:
            scm_versioned[commit] = versioned_by_git(mirror, commit)
        if scm_versioned[commit]:
            instance.install_config["env"].setdefault(PRETEND_VERSION_ENV, pretend_version(version))
        result.versioned.append(instance)
        count = result.versions.get((repo, version), (commit, 0))[1]
        result.versions[(repo, version)] = (commit, count + 1)
        key, info = inferred[instance.instance_id]
        detail = json.dumps({"version": info.version, "source": info.source, "raw": info.raw})
        unchanged = job.known.get(instance.instance_id) == (key, info)
        result.outcomes.append(Outcome(instance.instance_id, repo, KEPT, detail, key, unchanged=unchanged))
    return result


def _python_for(
    job: VersionsJob, mirror: Path, version: str, commit: str, requested: str, result: VersionsResult
) -> PythonChoice:
    """The Python of (repo, version), settled once for all its instances and logged once."""
    key = (job.repo, version)
    if key not in result.pythons:
        project = project_pythons(mirror, commit)
        options = job.python
        choice = choose_python(requested, project, job.workspace.root, options.downloads, options.fallback)
        result.pythons[key] = choice
        if choice.python is None:
            log.warning("%s %s: %s: %s", job.repo, version, NO_PYTHON, choice.reason)
        elif choice.substituted:
            log.warning(
                "%s %s: Python %s for %s: %s", job.repo, version, choice.python, requested, choice.reason
            )
    return result.pythons[key]


def _require(spec: RepoSpec | None) -> RepoSpec:
    assert spec is not None, "a spec is loaded or drafted before any instance is versioned"
    return spec


def _infer(
    job: VersionsJob,
    mirror: Path,
    instance: TaskInstance,
    override: VersionOverride | None,
    key: str,
    result: VersionsResult,
) -> VersionInfo | None:
    """The stored inference when its inputs are unchanged, else read from the mirror."""
    known = job.known.get(instance.instance_id)
    if known and known[0] == key:
        return known[1]
    try:
        info = infer_version(mirror, instance.base_commit, override)
    except GitError as error:
        result.outcomes.append(_rejected(instance, "error", str(error), key, retry=True))
        return None
    if info is None:
        detail = "no version in the package files at the base commit, and no release tag before it"
        result.outcomes.append(_rejected(instance, NO_VERSION, detail, key))
        result.unversioned.append(instance.instance_id)
    return info


def _rejected(
    instance: TaskInstance, reason: str, detail: str, key: str = "", retry: bool = False
) -> Outcome:
    return Outcome(instance.instance_id, instance.repo, reason, detail, inputs_key=key, retry=retry)
