"""`swegym-build publish`: the command and its closing lines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import RenderableType

from swegym_build.cli_options import Repos, Workdir
from swegym_build.pipeline import run_stage

if TYPE_CHECKING:
    from swegym_build.driver import Notify
    from swegym_build.publish.stage import PublishOptions, PublishSummary
    from swegym_build.state import StateStore
    from swegym_build.workspace import Workspace


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
    repo: Repos = None,
    workdir: Workdir = None,
) -> None:
    """Publish validated tasks: the dataset (train + Lite, Parquet, card) to the hub, images to a registry."""
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


def run_publish_stage(
    workspace: Workspace, options: PublishOptions, repos: list[str] | None = None
) -> PublishSummary:
    from swegym_build.publish.stage import run_publish

    def run(state: StateStore, progress: Notify) -> PublishSummary:
        return run_publish(workspace, state, options, repos, progress)

    return run_stage(workspace, "publish", run, view)


def view(summary: PublishSummary) -> Iterator[RenderableType]:
    counts = ", ".join(f"{split}: {n}" for split, n in summary.export.stats.split_counts.items())
    yield f"dataset: [bold]{summary.export.folder}[/bold] ({counts})"
    yield f"images: {len(summary.image_names)} {'pushed' if summary.pushed else 'tagged locally'}"
    if summary.task_repo is not None:
        yield f"SWE-bench task repo: [bold]{summary.task_repo}[/bold]"
    if summary.planned is not None:
        total = sum(f.size for f in summary.planned)
        yield f"dry run: would upload {len(summary.planned)} files ({total / 1e3:.0f} kB):"
        for planned in summary.planned:
            yield f"  {planned.path} ({planned.size} bytes)"
    if summary.pushed is not None:
        what = "new commit" if summary.pushed.new_commit else "unchanged, no new commit"
        yield f"pushed to {summary.pushed.commit_url} ({what})"
    if summary.file is not None:
        yield f"published: [bold]{summary.file}[/bold]"
