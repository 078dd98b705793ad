"""The `swegym-build` command line: thin wrappers over the stages."""

from __future__ import annotations

import logging
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.logging import RichHandler
from rich.table import Table

from swegym_build.errors import SwegymError

app = typer.Typer(
    help="Turn GitHub history into executable, validated software-engineering tasks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

Workdir = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at runtime on Python 3.10
    typer.Option(
        "--workdir", help="Workspace folder (default: $SWEGYM_WORKDIR or ./data).", show_default=False
    ),
]

Executor = Annotated[
    str,
    typer.Option(help="Where per-instance work runs: local (a thread pool) or ray (Ray tasks)."),
]
RayAddress = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        help="Ray cluster to attach to (env RAY_ADDRESS); without it Ray starts embedded.",
        envvar="RAY_ADDRESS",
    ),
]

Registry = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        help="Registry host:port through which nodes share instance images (build pushes, "
        "validate pulls what a node lacks)."
    ),
]


def _setup_logging(verbose: bool) -> None:
    from swegym_build.display import console

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    _setup_logging(verbose)


@app.command()
def mine(
    repo: Annotated[str, typer.Option("--repo", help="GitHub repository, OWNER/NAME.")],
    since: Annotated[Optional[str], typer.Option(help="Only PRs created on or after this date.")] = None,  # noqa: UP045
    max_pulls: Annotated[Optional[int], typer.Option(help="Scan at most N PRs (oldest first).")] = None,  # noqa: UP045
    api_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="API base URL (env GITHUB_API_URL; GitHub Enterprise: https://HOST/api/v3)."),
    ] = None,
    max_files: Annotated[int, typer.Option(help="Reject PRs changing more files than this.")] = 100,
    max_patch_bytes: Annotated[
        int, typer.Option(help="Reject PRs whose diff is larger than this.")
    ] = 1_000_000,
    reject_binary: Annotated[
        bool, typer.Option(help="Reject PRs with binary changes (binary_patch).")
    ] = False,
    workdir: Workdir = None,
) -> None:
    """Mine merged PRs that resolve issues and change tests into SWE-Gym Raw (raw/OWNER__NAME.jsonl)."""
    from swegym_build.github.client import TOKEN_ENV, resolve_api_url
    from swegym_build.mine.decide import DiffLimits
    from swegym_build.mine.miner import MineOptions
    from swegym_build.pipeline import limits_for, run_mine
    from swegym_build.workspace import Workspace

    if "/" not in repo:
        raise typer.BadParameter(f"{repo!r} is not OWNER/NAME", param_hint="--repo")
    limits = limits_for(repo, DiffLimits(max_files, max_patch_bytes, allow_binary=not reject_binary))
    options = MineOptions(repo=repo, since=_parse_date(since), max_pulls=max_pulls, limits=limits)
    run_mine(Workspace.resolve(workdir), resolve_api_url(api_url), os.environ.get(TOKEN_ENV) or None, options)


PythonMirror = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--python-mirror",
        help="Mirror of python-build-standalone for uv-managed Pythons (uv's UV_PYTHON_INSTALL_MIRROR; "
        "env SWEGYM_PYTHON_MIRROR); `off`: Debian's Pythons only.",
    ),
]


@app.command()
def versions(
    repo: Annotated[Optional[list[str]], typer.Option("--repo", help="Only these repositories.")] = None,  # noqa: UP045
    python_fallback: Annotated[
        str,
        typer.Option(
            help="When no provider has the spec's Python: the `nearest` one the project allows, "
            "or `fail` (no_python)."
        ),
    ] = "nearest",
    python_mirror: PythonMirror = None,
    workdir: Workdir = None,
) -> None:
    """Infer each instance's version, pick an environment_setup_commit per version, resolve its spec."""
    from swegym_build.pipeline import run_versions_stage
    from swegym_build.pythons.uv_python import PythonDownloads
    from swegym_build.versions.python_choice import FALLBACKS
    from swegym_build.versions.stage import PythonOptions
    from swegym_build.workspace import Workspace

    if python_fallback not in FALLBACKS:
        raise typer.BadParameter(f"{python_fallback!r} is not one of {', '.join(FALLBACKS)}")
    options = PythonOptions(python_fallback, PythonDownloads.from_env(python_mirror))
    run_versions_stage(Workspace.resolve(workdir), repo or None, options)


@app.command()
def build(
    repo: Annotated[Optional[list[str]], typer.Option("--repo", help="Only these repositories.")] = None,  # noqa: UP045
    instances: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--instances", help="Only these instance ids."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Instance images built in parallel.")] = 2,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    registry: Registry = None,
    python_mirror: PythonMirror = None,
    workdir: Workdir = None,
    max_attempts: Annotated[
        int, typer.Option(help="Candidate recipes tried per (repo, version) until one verifies.")
    ] = 4,
    attempt_minutes: Annotated[
        float, typer.Option(help="Minutes per (repo, version) for its attempts (none starts after).")
    ] = 60.0,
    suggest_fixes: Annotated[
        bool, typer.Option(help="When a shipped spec fails, try drafted candidates to report one.")
    ] = False,
    reverify: Annotated[
        bool, typer.Option(help="Verify again what a build verified on the same inputs.")
    ] = False,
) -> None:
    """Build base, env and instance images (content-addressed: unchanged inputs are not rebuilt)."""
    from swegym_build.executors import make_executor
    from swegym_build.pipeline import run_build_stage
    from swegym_build.pythons.uv_python import PythonDownloads
    from swegym_build.verify.build_env import VerifyOptions
    from swegym_build.verify.loop import VerifyLimits
    from swegym_build.workspace import Workspace

    chosen = make_executor(executor, workers, ray_address)
    downloads = PythonDownloads.from_env(python_mirror)
    verify = VerifyOptions(VerifyLimits(max_attempts, attempt_minutes), suggest_fixes, reverify)
    run_build_stage(
        Workspace.resolve(workdir), repo or None, instances or None, chosen, registry, downloads, verify
    )


@app.command()
def validate(
    repo: Annotated[Optional[list[str]], typer.Option("--repo", help="Only these repositories.")] = None,  # noqa: UP045
    instances: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--instances", help="Only these instance ids."),
    ] = None,
    runs: Annotated[int, typer.Option(help="Gold runs per side; a test must agree across all of them.")] = 3,
    workers: Annotated[int, typer.Option(help="Instances validated in parallel.")] = 1,
    timeout: Annotated[
        float,
        typer.Option(help="Wall-clock limit of the test command per side (each run, before and after), s."),
    ] = 1800,
    memory: Annotated[str, typer.Option(help="Memory limit per container.")] = "4g",
    cpus: Annotated[float, typer.Option(help="CPUs per container.")] = 1.0,
    force: Annotated[bool, typer.Option(help="Judge again instances already judged.")] = False,
    executor: Executor = "local",
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
    from swegym_build.pipeline import run_validate_stage
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
    executor: Executor = "local",
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
def publish(
    repo_id: Annotated[str, typer.Option("--repo-id", help="Hugging Face dataset, ORG/NAME.")],
    private: Annotated[bool, typer.Option(help="Create the dataset private.")] = False,
    lite: Annotated[bool, typer.Option(help="Also write the Lite split (SWE-bench Lite's rules).")] = True,
    image_namespace: Annotated[
        str, typer.Option(help="Image namespace (NS/sweb.eval.x86_64.<id>).")
    ] = "swegym",
    registry: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Registry host:port to push to (default Docker Hub)."),
    ] = None,
    separator: Annotated[
        str, typer.Option(help='What "__" in instance ids becomes in image names.')
    ] = "_1776_",
    dry_run: Annotated[
        bool, typer.Option(help="Tag images locally and write the folder; push nothing.")
    ] = False,
    hub_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Hub endpoint (env HF_ENDPOINT; default the public hub).", envvar="HF_ENDPOINT"),
    ] = None,
    task_repo: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--task-repo", help="Also write the dataset as a SWE-bench task repo in DIR."),
    ] = None,
    repo: Annotated[Optional[list[str]], typer.Option("--repo", help="Only these repositories.")] = None,  # noqa: UP045
    workdir: Workdir = None,
) -> None:
    """Publish validated tasks: the dataset (train + Lite, Parquet, card) to the hub, images to a registry."""
    from swegym_build.pipeline import run_publish_stage
    from swegym_build.publish.stage import PublishOptions
    from swegym_build.workspace import Workspace

    options = PublishOptions(
        repo_id=repo_id,
        namespace=image_namespace,
        registry=registry,
        separator=separator,
        private=private,
        lite=lite,
        dry_run=dry_run,
        hub_url=hub_url,
        task_repo=task_repo,
    )
    run_publish_stage(Workspace.resolve(workdir), options, repo or None)


@app.command()
def clean(
    tier: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--tier", help="Only these tiers (instance, env, base, rootfs); default all."),
    ] = None,
) -> None:
    """Remove the containers and images swegym-build made (by label), and nothing else."""
    from swegym_build.display import console
    from swegym_build.dockerio import engine_client
    from swegym_build.images.clean import remove_built

    removed = remove_built(engine_client(), tier or None)
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
