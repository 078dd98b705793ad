"""`swegym-build versions`: the command and its closing tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import RenderableType
from rich.table import Table

from swegym_build.cli_options import PythonMirror, Repos, Workdir
from swegym_build.display import LOG_INTERVAL, outcome_table
from swegym_build.pipeline import run_stage

if TYPE_CHECKING:
    from swegym_build.driver import Notify
    from swegym_build.state import StateStore
    from swegym_build.versions.stage import PythonOptions, VersionsSummary
    from swegym_build.workspace import Workspace


def versions(
    repo: Repos = None,
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
    from swegym_build.pythons.uv_python import PythonDownloads
    from swegym_build.versions.python_choice import FALLBACKS
    from swegym_build.versions.stage import PythonOptions
    from swegym_build.workspace import Workspace

    if python_fallback not in FALLBACKS:
        raise typer.BadParameter(f"{python_fallback!r} is not one of {', '.join(FALLBACKS)}")
    options = PythonOptions(python_fallback, PythonDownloads.from_env(python_mirror))
    run_versions_stage(Workspace.resolve(workdir), repo or None, options)


def run_versions_stage(
    workspace: Workspace, repos: list[str] | None = None, python: PythonOptions | None = None
) -> VersionsSummary:
    from swegym_build.versions.stage import run_versions

    def run(state: StateStore, progress: Notify) -> VersionsSummary:
        def notify(repo: str, done: int, total: int) -> None:
            progress(f"{repo} {done}/{total}")

        return run_versions(workspace, state, repos, notify=notify, python=python)

    return run_stage(workspace, "versions", run, view, throttle=LOG_INTERVAL)


def view(summary: VersionsSummary) -> Iterator[RenderableType]:
    yield outcome_table("versions", summary.outcomes)
    table = Table(title="environments")
    for column in ("repository", "version", "instances", "environment_setup_commit", "python"):
        table.add_column(column)
    for (repo, version), (commit, count) in sorted(summary.versions.items()):
        choice = summary.pythons.get((repo, version))
        python = "" if choice is None else choice.python or ""
        if choice is not None and choice.substituted:
            python = f"{choice.python} (spec: {choice.requested})"
        table.add_row(repo, version, str(count), commit[:12], python)
    yield table
    substitutions = summary.substitutions
    if substitutions:
        yield f"[yellow]Python substituted in {len(substitutions)} environment(s):[/yellow]"
    for (repo, version), choice in sorted(substitutions.items()):
        yield f"  {repo} {version}: {choice.python} for {choice.requested}: {choice.reason}"
    for (repo, version), choice in sorted(summary.no_python.items()):
        yield f"[red]no_python:[/red] {repo} {version}: {choice.reason}"
    for instance_id in summary.unversioned:
        yield f"[yellow]no version:[/yellow] {instance_id}"
    for draft in summary.drafts:
        yield f"[yellow]no spec: drafted[/yellow] {draft} — review it, then copy it into specs/"
    for path in summary.files:
        yield f"versioned: [bold]{path}[/bold]"
