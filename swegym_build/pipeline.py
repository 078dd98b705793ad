"""Each stage run as the CLI runs it: the stage itself plus its live display and closing summary.

`swegym-build <stage>` and `swegym-build demo` both call these, so the demo shows exactly what a
user sees when running the stages one by one.
"""

from __future__ import annotations

from swegym_build.display import (
    LOG_INTERVAL,
    MineDisplay,
    build_summary,
    mine_summary,
    publish_summary,
    stage_progress,
    validate_summary,
    versions_summary,
)
from swegym_build.dockerio import engine_client
from swegym_build.executors import Executor
from swegym_build.github.client import open_github
from swegym_build.github.http_cache import HttpCache
from swegym_build.github.transport import ApiStats, GitHubTransport
from swegym_build.handoff import read_versioned
from swegym_build.images.stage import BuildSummary, run_build
from swegym_build.mine.decide import DiffLimits
from swegym_build.mine.miner import MineOptions, MineSummary, mine
from swegym_build.publish.stage import PublishOptions, PublishSummary, run_publish
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.specs import load_spec
from swegym_build.state import StateStore
from swegym_build.validate.stage import ValidateOptions, ValidateSummary, run_validate
from swegym_build.verify.build_env import VerifyOptions
from swegym_build.versions.stage import PythonOptions, VersionsSummary, run_versions
from swegym_build.workspace import Workspace


def limits_for(repo: str, base: DiffLimits) -> DiffLimits:
    """The limits with the repository spec's test-file patterns, when it has any."""
    spec = load_spec(repo)
    if not (spec and spec.test_file_patterns):
        return base
    return DiffLimits(base.max_files, base.max_patch_bytes, base.allow_binary, tuple(spec.test_file_patterns))


def run_mine(workspace: Workspace, api_url: str, token: str | None, options: MineOptions) -> MineSummary:
    display = MineDisplay(options.repo)
    stats = ApiStats()
    transport = GitHubTransport(
        cache=HttpCache(workspace.http_cache_db), stats=stats, on_wait=display.on_wait
    )
    state = StateStore(workspace.state_db)
    try:
        with display.live():
            summary = mine(
                open_github(api_url, transport, token),
                api_url,
                workspace,
                state,
                options,
                stats,
                token,
                display.on_progress,
            )
    finally:
        state.close()
        transport.close()
    mine_summary(summary)
    return summary


def run_versions_stage(
    workspace: Workspace, repos: list[str] | None = None, python: PythonOptions | None = None
) -> VersionsSummary:
    state = StateStore(workspace.state_db)
    try:
        with stage_progress("versions", throttle=LOG_INTERVAL) as progress:
            summary = run_versions(
                workspace,
                state,
                repos,
                notify=lambda repo, done, total: progress(f"{repo} {done}/{total}"),
                python=python,
            )
    finally:
        state.close()
    versions_summary(summary)
    return summary


def run_build_stage(
    workspace: Workspace,
    repos: list[str] | None = None,
    ids: list[str] | None = None,
    executor: Executor | None = None,
    registry: str | None = None,
    downloads: PythonDownloads | None = None,
    verify: VerifyOptions | None = None,  # issue 13 hook
) -> BuildSummary:
    instances = read_versioned(workspace, repos, ids)
    state = StateStore(workspace.state_db)
    try:
        with stage_progress(f"build ({len(instances)} instances)") as progress:
            client = engine_client()
            summary = run_build(
                client,
                workspace,
                state,
                instances,
                executor=executor,
                notify=progress,
                registry=registry,
                downloads=downloads,
                verify=verify,
            )
    finally:
        state.close()
    build_summary(summary)
    return summary


def run_validate_stage(
    workspace: Workspace,
    options: ValidateOptions,
    repos: list[str] | None = None,
    ids: list[str] | None = None,
    executor: Executor | None = None,
) -> ValidateSummary:
    instances = read_versioned(workspace, repos, ids)
    state = StateStore(workspace.state_db)
    try:
        engine_client()  # fail early and clearly when the engine is not there
        with stage_progress(f"validate ({len(instances)} instances)") as progress:
            summary = run_validate(workspace, state, instances, options, executor, notify=progress)
    finally:
        state.close()
    validate_summary(summary)
    return summary


def run_publish_stage(
    workspace: Workspace, options: PublishOptions, repos: list[str] | None = None
) -> PublishSummary:
    state = StateStore(workspace.state_db)
    try:
        with stage_progress("publish"):
            summary = run_publish(engine_client(), workspace, state, options, repos)
    finally:
        state.close()
    publish_summary(summary, options.dry_run)
    return summary
