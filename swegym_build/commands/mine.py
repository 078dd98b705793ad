"""`swegym-build mine`: the command, its live line and its closing table."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import RenderableType
from rich.live import Live
from rich.text import Text

from swegym_build.cli_options import Workdir, parse_date
from swegym_build.display import LOG_INTERVAL, console, log_line, outcome_table, show

if TYPE_CHECKING:
    from swegym_build.github.transport import ApiStats
    from swegym_build.mine.decide import DiffLimits
    from swegym_build.mine.miner import MineOptions, MineProgress, MineSummary
    from swegym_build.workspace import Workspace


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
    from swegym_build.workspace import Workspace

    if "/" not in repo:
        raise typer.BadParameter(f"{repo!r} is not OWNER/NAME", param_hint="--repo")
    limits = limits_for(repo, DiffLimits(max_files, max_patch_bytes, allow_binary=not reject_binary))
    options = MineOptions(repo=repo, since=parse_date(since), max_pulls=max_pulls, limits=limits)
    run_mine(Workspace.resolve(workdir), resolve_api_url(api_url), os.environ.get(TOKEN_ENV) or None, options)


def limits_for(repo: str, base: DiffLimits) -> DiffLimits:
    """The limits with the repository spec's test-file patterns, when it has any."""
    from swegym_build.mine.decide import DiffLimits
    from swegym_build.specs import load_spec

    spec = load_spec(repo)
    if not (spec and spec.test_file_patterns):
        return base
    return DiffLimits(base.max_files, base.max_patch_bytes, base.allow_binary, tuple(spec.test_file_patterns))


def run_mine(workspace: Workspace, api_url: str, token: str | None, options: MineOptions) -> MineSummary:
    """Mine with the live line (its own progress: requests and budget, not a count of jobs)."""
    from swegym_build.github.client import open_github
    from swegym_build.github.http_cache import HttpCache
    from swegym_build.github.transport import ApiStats, GitHubTransport
    from swegym_build.mine.miner import mine as mine_repository
    from swegym_build.state import StateStore

    display = MineDisplay(options.repo)
    stats = ApiStats()
    transport = GitHubTransport(
        cache=HttpCache(workspace.http_cache_db), stats=stats, on_wait=display.on_wait
    )
    state = StateStore(workspace.state_db)
    try:
        with display.live():
            gh = open_github(api_url, transport, token)
            summary = mine_repository(
                gh, api_url, workspace, state, options, stats, token, display.on_progress
            )
    finally:
        state.close()
        transport.close()
    show(view(summary))
    return summary


def view(summary: MineSummary) -> Iterator[RenderableType]:
    yield outcome_table(f"mine {summary.repo}: this run", summary.outcomes)
    api = summary.api
    yield (
        f"scanned {summary.scanned} PRs ({summary.already_done} already decided) in {summary.seconds:.1f}s; "
        f"API: {api.sent} requests, {api.not_modified} answered 304, {api.retries} retries, "
        f"waited {api.waited_seconds:.0f}s; "
        f"{api.sent / max(summary.scanned, 1):.3f} requests per PR; comments via {summary.hint_plan.strategy}"
        + (f"; {summary.bases_asked} PR bases asked of the API" if summary.bases_asked else "")
    )
    yield f"raw candidates: [bold]{summary.raw_file}[/bold]"


def _budget(api: ApiStats) -> str:
    if api.rate_remaining is None:
        return "budget ?"
    reset = time.strftime("%H:%M:%S", time.localtime(api.rate_reset)) if api.rate_reset else "?"
    return f"budget {api.rate_remaining}/{api.rate_limit} (resets {reset})"


class MineDisplay:
    """Live line: phase, PRs scanned, candidates kept, API requests spent, budget left, waits."""

    def __init__(self, repo: str) -> None:
        self.repo = repo
        from swegym_build.mine.miner import MineProgress

        self.progress: MineProgress = MineProgress()
        self.waiting: tuple[str, float] | None = None
        self._live: Live | None = None
        self._last_logged = time.monotonic()

    def render(self) -> Text:
        p = self.progress
        line = Text.assemble(
            (f"{self.repo} ", "bold"),
            (f"{p.phase}: ", "cyan"),
            f"{p.scanned}/{p.total} PRs scanned, ",
            (f"{p.kept} kept", "green"),
            f", {p.rejected} rejected, {p.already_done} already done | ",
            f"API {p.api.sent} requests ({p.api.not_modified} not modified), {_budget(p.api)}",
        )
        if self.waiting and self.waiting[1] > 0:
            line.append(f"\nwaiting {self.waiting[1]:.0f}s ({self.waiting[0]})", style="yellow")
        return line

    def on_progress(self, progress: MineProgress) -> None:
        self.progress = progress
        if self._live:
            self._live.update(self.render())
        elif time.monotonic() - self._last_logged >= LOG_INTERVAL:
            self._last_logged = time.monotonic()
            log_line(self.render().plain.replace("\n", "; "))

    def on_wait(self, why: str, seconds_left: float) -> None:
        self.waiting = (why, seconds_left)
        if self._live:
            self._live.update(self.render())

    @contextmanager
    def live(self) -> Iterator[MineDisplay]:
        if not console.is_terminal:
            # Live shows nothing off a terminal until it ends: log lines instead.
            log_line(self.render().plain)
            yield self
            log_line(self.render().plain)
            return
        with Live(self.render(), console=console, refresh_per_second=4, transient=False) as live:
            self._live = live
            try:
                yield self
            finally:
                live.update(self.render())
                self._live = None
