"""`swegym-build build`: the command and its closing tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import RenderableType
from rich.table import Table

from swegym_build.cli_options import (
    ExecutorName,
    InstanceIds,
    PythonMirror,
    RayAddress,
    Registry,
    Repos,
    Workdir,
)
from swegym_build.pipeline import run_stage
from swegym_build.verify.loop import VerifyLimits

if TYPE_CHECKING:
    from swegym_build.driver import Notify
    from swegym_build.executors import Executor
    from swegym_build.images.stage import BuildSummary
    from swegym_build.pythons.uv_python import PythonDownloads
    from swegym_build.state import StateStore
    from swegym_build.verify.build_env import VerifyOptions
    from swegym_build.workspace import Workspace


def build(
    repo: Repos = None,
    instances: InstanceIds = None,
    workers: Annotated[int, typer.Option(help="Instance images built in parallel.")] = 2,
    executor: ExecutorName = "local",
    ray_address: RayAddress = None,
    registry: Registry = None,
    python_mirror: PythonMirror = None,
    workdir: Workdir = None,
    max_attempts: Annotated[
        int, typer.Option(help="Candidate recipes tried per (repo, version) until one verifies.")
    ] = VerifyLimits.max_attempts,
    attempt_minutes: Annotated[
        float, typer.Option(help="Minutes per (repo, version) for its attempts (none starts after).")
    ] = VerifyLimits.minutes,
    suggest_fixes: Annotated[
        bool, typer.Option(help="When a shipped spec fails, try drafted candidates to report one.")
    ] = False,
    reverify: Annotated[
        bool, typer.Option(help="Verify again what a build verified on the same inputs.")
    ] = False,
) -> None:
    """Build base, env and instance images (content-addressed: unchanged inputs are not rebuilt)."""
    from swegym_build.executors import make_executor
    from swegym_build.interrupt import Interrupted
    from swegym_build.pythons.uv_python import PythonDownloads
    from swegym_build.verify.build_env import VerifyOptions
    from swegym_build.workspace import Workspace

    chosen = make_executor(executor, workers, ray_address)
    downloads = PythonDownloads.from_env(python_mirror)
    verify = VerifyOptions(VerifyLimits(max_attempts, attempt_minutes), suggest_fixes, reverify)
    try:
        run_build_stage(
            Workspace.resolve(workdir), repo or None, instances or None, chosen, registry, downloads, verify
        )
    except (Interrupted, KeyboardInterrupt):
        typer.echo(
            "build: interrupted; finished images are kept and recorded, the next run goes on", err=True
        )
        raise typer.Exit(130) from None


def run_build_stage(
    workspace: Workspace,
    repos: list[str] | None = None,
    ids: list[str] | None = None,
    executor: Executor | None = None,
    registry: str | None = None,
    downloads: PythonDownloads | None = None,
    verify: VerifyOptions | None = None,
) -> BuildSummary:
    from swegym_build.dockerio import engine_client
    from swegym_build.handoff import select_versioned
    from swegym_build.images.stage import run_build

    instances = select_versioned(workspace, repos, ids)

    def run(state: StateStore, progress: Notify) -> BuildSummary:
        return run_build(
            engine_client(),
            workspace,
            state,
            instances,
            executor=executor,
            notify=progress,
            registry=registry,
            downloads=downloads,
            verify=verify,
        )

    return run_stage(workspace, f"build ({len(instances)} instances)", run, view)


def view(summary: BuildSummary) -> Iterator[RenderableType]:
    from swegym_build.display import problems_by_cause
    from swegym_build.verify.report import verification_table

    table = Table(title="build")
    for column in ("tier", "built", "reused"):
        table.add_column(column)
    for tier in ("base", "env", "instance"):
        table.add_row(tier, str(summary.built[tier]), str(summary.reused[tier]))
    yield table
    if summary.nothing_built:
        yield "every image was already built: nothing to do"
    if summary.verifications:
        yield verification_table(summary.verifications, "recipes verified for build")
    yield from problems_by_cause(summary.report)
    env_bytes = sum(summary.env_images.values())
    marginal = sorted(summary.marginal_bytes.values())
    if marginal:
        median = marginal[len(marginal) // 2]
        yield (
            f"env images: {len(summary.env_images)} ({env_bytes / 1e6:.0f} MB); "
            f"instance images: {len(marginal)}, own layers median {median / 1e6:.2f} MB, "
            f"max {marginal[-1] / 1e6:.2f} MB; {summary.seconds:.0f}s"
        )
