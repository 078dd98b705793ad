"""`swegym-build validate`: the command and its closing table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import RenderableType

from swegym_build.cli_options import ExecutorName, InstanceIds, RayAddress, Registry, Repos, Workdir
from swegym_build.display import outcome_table
from swegym_build.pipeline import run_stage

if TYPE_CHECKING:
    from swegym_build.executors import Executor
    from swegym_build.validate.stage import ValidateOptions, ValidateSummary
    from swegym_build.workspace import Workspace


def validate(
    repo: Repos = None,
    instances: InstanceIds = None,
    runs: Annotated[int, typer.Option(help="Gold runs per side; a test must agree across all of them.")] = 3,
    workers: Annotated[int, typer.Option(help="Instances validated in parallel.")] = 1,
    timeout: Annotated[
        float,
        typer.Option(help="Wall-clock limit of the test command per side (each run, before and after), s."),
    ] = 1800,
    memory: Annotated[str, typer.Option(help="Memory limit per container.")] = "4g",
    cpus: Annotated[float, typer.Option(help="CPUs per container.")] = 1.0,
    force: Annotated[bool, typer.Option(help="Judge again instances already judged.")] = False,
    executor: ExecutorName = "local",
    ray_address: RayAddress = None,
    registry: Registry = None,
    keep: Annotated[
        str, typer.Option(help="Images kept afterwards: instance (all), env (instance images removed), none.")
    ] = "instance",
    retries: Annotated[
        int, typer.Option(help="Fresh attempts for a side whose container ended early (incomplete).")
    ] = 2,
    workdir: Workdir = None,
) -> None:
    """Run each instance's tests before and after its gold patch; keep genuine FAIL_TO_PASS tasks.

    Ctrl-C (or SIGTERM) stops it: finished instances are recorded, running containers removed, exit 130.
    """
    from swegym_build.containment import ContainerLimits
    from swegym_build.executors import make_executor
    from swegym_build.validate.stage import ValidateOptions
    from swegym_build.workspace import Workspace

    if runs < 1:
        raise typer.BadParameter("at least one run", param_hint="--runs")
    limits = ContainerLimits(timeout, memory, cpus)
    if keep not in ("instance", "env", "none"):
        raise typer.BadParameter("instance, env or none", param_hint="--keep")
    if retries < 0:
        raise typer.BadParameter("zero or more", param_hint="--retries")
    options = ValidateOptions(
        runs=runs, limits=limits, force=force, registry=registry, keep=keep, retries=retries
    )
    chosen = make_executor(executor, workers, ray_address)
    try:
        run_validate_stage(Workspace.resolve(workdir), options, repo or None, instances or None, chosen)
    except KeyboardInterrupt:
        typer.echo("validate: interrupted; finished instances are recorded", err=True)
        raise typer.Exit(130) from None


def run_validate_stage(
    workspace: Workspace,
    options: ValidateOptions,
    repos: list[str] | None = None,
    ids: list[str] | None = None,
    executor: Executor | None = None,
) -> ValidateSummary:
    from swegym_build.dockerio import engine_client
    from swegym_build.handoff import select_versioned
    from swegym_build.validate.stage import run_validate

    instances = select_versioned(workspace, repos, ids)
    engine_client()  # fail early and clearly when the engine is not there
    return run_stage(
        workspace,
        f"validate ({len(instances)} instances)",
        lambda state, progress: run_validate(workspace, state, instances, options, executor, notify=progress),
        view,
    )


def view(summary: ValidateSummary) -> Iterator[RenderableType]:
    yield outcome_table("validate", summary.outcomes)
    if summary.already_done:
        yield f"{summary.already_done} instances were already judged on the same image (--force to redo)"
    overhead = sorted(summary.overhead_per_run)
    if overhead:
        yield (
            f"overhead per run (container, patches, parsing; not the tests): median "
            f"{overhead[len(overhead) // 2]:.2f}s, max {overhead[-1]:.2f}s"
        )
    if summary.removed_bytes:
        yield f"removed images afterwards (--keep): {summary.removed_bytes / 1e6:.0f} MB"
    for path in summary.files:
        yield f"validated: [bold]{path}[/bold]"
