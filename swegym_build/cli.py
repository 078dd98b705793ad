"""The `swegym-build` command line: the stages' commands (stages.py) and the tools around them."""

from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.logging import RichHandler
from rich.table import Table

from swegym_build.cli_options import ExecutorName, RayAddress, Workdir
from swegym_build.errors import SwegymError
from swegym_build.interrupt import Interrupted
from swegym_build.stages import STAGE_COMMANDS

app = typer.Typer(
    help="Turn GitHub history into executable, validated software-engineering tasks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _setup_logging(verbose: bool) -> None:
    from swegym_build.display import console

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    _setup_logging(verbose)


for stage_command in STAGE_COMMANDS:
    app.command()(stage_command)


@app.command()
def evaluate(
    predictions: Annotated[
        Path,
        typer.Option(
            help="SWE-bench predictions: instance_id, model_patch, model_name_or_path (JSON/JSONL)."
        ),
    ],
    dataset: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Tasks: JSONL or Parquet file/folder (default: the workspace's validated tasks)."),
    ] = None,
    runs: Annotated[
        int, typer.Option(help="Grading runs per prediction; resolved only if every run is.")
    ] = 1,
    workers: Annotated[int, typer.Option(help="Predictions graded in parallel.")] = 1,
    timeout: Annotated[
        float, typer.Option(help="The tests' wall-clock limit per prediction, seconds.")
    ] = 1800,
    force: Annotated[bool, typer.Option(help="Grade again predictions already graded.")] = False,
    executor: ExecutorName = "local",
    ray_address: RayAddress = None,
    workdir: Workdir = None,
) -> None:
    """Grade agent predictions in validate's hardened runner; SWE-bench report.json and summary."""
    from swegym_build.containment import ContainerLimits
    from swegym_build.evaluate.stage import run_evaluate
    from swegym_build.executors import make_executor
    from swegym_build.workspace import Workspace

    summary = run_evaluate(
        Workspace.resolve(workdir), predictions, dataset, runs, ContainerLimits(timeout),
        make_executor(executor, workers, ray_address), force,
    )  # fmt: skip
    resolved = summary.ids("resolved")
    typer.echo(
        f"evaluate: {len(resolved)}/{len(summary.reports)} resolved; reports in {summary.folder}", err=True
    )


@app.command()
def clean(
    tier: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--tier", help="Only these tiers (instance, env with its prep images, base, rootfs); default all."
        ),
    ] = None,
    repo: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--repo", help="Only this repository's env and instance images (OWNER/NAME)."),
    ] = None,
) -> None:
    """Remove the containers and images swegym-build made (by label), and nothing else."""
    from swegym_build.display import console
    from swegym_build.dockerio import engine_client
    from swegym_build.images.clean import remove_built, shared_tiers

    if repo and shared_tiers(tier):
        raise typer.BadParameter(
            f"{', '.join(shared_tiers(tier))} images are shared by every repository; "
            "--repo removes env and instance images only",
            param_hint="--tier",
        )
    removed = remove_built(engine_client(), tier or None, repo)
    console.print(
        f"removed {removed.containers} containers and {removed.images} images ({removed.bytes / 1e6:.0f} MB)"
    )


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Workspace for the demo (kept apart from real work).")
    ] = Path("data/demo"),
) -> None:
    """Run the pipeline offline on the bundled sample world (a fake GitHub on 127.0.0.1)."""
    from swegym_build.demo import run_demo
    from swegym_build.display import console
    from swegym_build.workspace import Workspace

    result = run_demo(Workspace.resolve(workdir))
    table = Table(title="demo: the pipeline on the sample world")
    for column in ("stage", "instances"):
        table.add_column(column)
    rows = [
        ("mine (candidates)", result.candidates),
        ("versions", result.versioned),
        ("build (instance images)", result.built),
        ("validate (kept)", result.validated),
        *((f"publish: {split} split", n) for split, n in result.splits.items()),
    ]
    for stage, count in rows:
        table.add_row(stage, str(count))
    console.print(table)
    console.print(f"dataset folder: [bold]{result.dataset}[/bold]")
    console.print(f"load it with: datasets.load_dataset({str(result.dataset)!r}, split='train')")


@app.command()
def status(
    repo: Annotated[Optional[str], typer.Option(help="Only this repository.")] = None,  # noqa: UP045
    instances: Annotated[bool, typer.Option("--instances", help="List every instance.")] = False,
    workdir: Workdir = None,
) -> None:
    """Where every instance stands, stage by stage."""
    from swegym_build.display import console
    from swegym_build.state import StateStore
    from swegym_build.verify.report import status_verifications
    from swegym_build.workspace import Workspace

    workspace = Workspace.resolve(workdir)
    records = StateStore(workspace.state_db).records(repo=repo)
    if not records:
        console.print(f"nothing recorded yet in {workspace.root}")
        return
    status_verifications(workspace, repo)  # issue 13 hook: per (repo, version) recipes
    counts = Counter((r.stage, r.status, r.reason) for r in records)
    table = Table(title=f"state of {workspace.root}")
    for column in ("stage", "status", "reason", "count"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for (stage, state_, reason), count in sorted(counts.items()):
        table.add_row(stage, state_, reason, str(count))
    console.print(table)
    if instances:
        listing = Table(title="instances")
        for column in ("instance", "stage", "status", "reason", "detail"):
            listing.add_column(column)
        for r in records:
            listing.add_row(r.instance_id, r.stage, r.status, r.reason, r.detail[:80])
        console.print(listing)


def main() -> None:
    try:
        app()
    except SwegymError as error:
        from swegym_build.display import console

        console.print(f"[red]error:[/red] {error}")
        raise SystemExit(1) from None
    except Interrupted:  # Ctrl-C in build (the demo too): its containers are removed already
        print("interrupted; what finished is recorded", file=sys.stderr)
        raise SystemExit(130) from None
