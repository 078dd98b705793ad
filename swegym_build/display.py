"""The user-facing display: live progress and closing tables (rich). Library code never prints."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from swegym_build.github.transport import ApiStats
from swegym_build.images.progress import DETAIL
from swegym_build.images.stage import BuildSummary
from swegym_build.mine.miner import MineProgress, MineSummary
from swegym_build.publish.stage import PublishSummary
from swegym_build.validate.stage import ValidateSummary
from swegym_build.verify.report import verification_table
from swegym_build.versions.stage import VersionsSummary

console = Console(stderr=True)

# Off a terminal (a log file, CI), progress is written as plain lines: at most one per
# LOG_INTERVAL for a stream of small steps, and a heartbeat when nothing was said for that long.
LOG_INTERVAL = 60.0


def _log_line(message: str) -> None:
    console.print(f"{time.strftime('%H:%M:%S')} {message}", markup=False, highlight=False, soft_wrap=True)


class _LogProgress:
    """Progress as timestamped lines, for a stdout that is not a terminal."""

    def __init__(self, title: str, throttle: float) -> None:
        self.title = title
        self.throttle = throttle
        self.started = self.last_said = time.monotonic()
        self.last_message = title
        self.last_message_said = True
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, daemon=True)

    def __call__(self, message: str) -> None:
        with self._lock:
            self.last_message, self.last_message_said = message, False
            if message.startswith(DETAIL):
                return  # a build's own output line: the heartbeat names the latest one
            if time.monotonic() - self.last_said >= self.throttle:
                self._say(message)
                self.last_message_said = True

    def _say(self, message: str) -> None:
        self.last_said = time.monotonic()
        _log_line(f"{self.title}: {message}")

    def _beat(self) -> None:
        while not self._stop.wait(LOG_INTERVAL / 4):
            with self._lock:
                if time.monotonic() - self.last_said >= LOG_INTERVAL:
                    elapsed = time.monotonic() - self.started
                    self._say(f"still working ({elapsed / 60:.0f} min): {self.last_message}")

    def __enter__(self) -> _LogProgress:
        _log_line(f"{self.title}: started")
        self._heartbeat.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._heartbeat.join()
        if not self.last_message_said:
            self._say(self.last_message)
        _log_line(f"{self.title}: finished in {time.monotonic() - self.started:.0f}s")


@contextmanager
def stage_progress(title: str, throttle: float = 0.0) -> Iterator[Callable[[str], None]]:
    """A progress callback for a long stage: a status line on a terminal, log lines elsewhere.

    `throttle` (seconds) thins a fast stream of updates off a terminal; 0 writes every update
    (one per finished instance, for build and validate).
    """
    if console.is_terminal:
        with console.status(title) as status:
            yield lambda message: status.update(f"{title}: {message}")
        return
    with _LogProgress(title, throttle) as progress:
        yield progress


def _budget(api: ApiStats) -> str:
    if api.rate_remaining is None:
        return "budget ?"
    reset = time.strftime("%H:%M:%S", time.localtime(api.rate_reset)) if api.rate_reset else "?"
    return f"budget {api.rate_remaining}/{api.rate_limit} (resets {reset})"


class MineDisplay:
    """Live line: phase, PRs scanned, candidates kept, API requests spent, budget left, waits."""

    def __init__(self, repo: str) -> None:
        self.repo = repo
        self.progress = MineProgress()
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
            _log_line(self.render().plain.replace("\n", "; "))

    def on_wait(self, why: str, seconds_left: float) -> None:
        self.waiting = (why, seconds_left)
        if self._live:
            self._live.update(self.render())

    @contextmanager
    def live(self) -> Iterator[MineDisplay]:
        if not console.is_terminal:
            # Live shows nothing off a terminal until it ends: log lines instead.
            _log_line(self.render().plain)
            yield self
            _log_line(self.render().plain)
            return
        with Live(self.render(), console=console, refresh_per_second=4, transient=False) as live:
            self._live = live
            try:
                yield self
            finally:
                live.update(self.render())
                self._live = None


def outcome_table(title: str, outcomes: Counter[str]) -> Table:
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("count", justify="right")
    for outcome, count in sorted(outcomes.items(), key=lambda item: (item[0] != "kept", -item[1], item[0])):
        table.add_row(outcome, str(count), style="green" if outcome == "kept" else None)
    return table


def mine_summary(summary: MineSummary) -> None:
    console.print(outcome_table(f"mine {summary.repo}: this run", summary.outcomes))
    api = summary.api
    console.print(
        f"scanned {summary.scanned} PRs ({summary.already_done} already decided) in {summary.seconds:.1f}s; "
        f"API: {api.sent} requests, {api.not_modified} answered 304, {api.retries} retries, "
        f"waited {api.waited_seconds:.0f}s; "
        f"{api.sent / max(summary.scanned, 1):.3f} requests per PR; comments via {summary.hint_plan.strategy}"
        + (f"; {summary.bases_asked} PR bases asked of the API" if summary.bases_asked else "")
    )
    console.print(f"raw candidates: [bold]{summary.raw_file}[/bold]")


def versions_summary(summary: VersionsSummary) -> None:
    console.print(outcome_table("versions", summary.outcomes))
    table = Table(title="environments")
    for column in ("repository", "version", "instances", "environment_setup_commit"):
        table.add_column(column)
    table.add_column("python")
    for (repo, version), (commit, count) in sorted(summary.versions.items()):
        choice = summary.pythons.get((repo, version))
        python = "" if choice is None else choice.python or ""
        if choice is not None and choice.substituted:
            python = f"{choice.python} (spec: {choice.requested})"
        table.add_row(repo, version, str(count), commit[:12], python)
    console.print(table)
    substitutions = summary.substitutions
    if substitutions:
        console.print(f"[yellow]Python substituted in {len(substitutions)} environment(s):[/yellow]")
    for (repo, version), choice in sorted(substitutions.items()):
        console.print(f"  {repo} {version}: {choice.python} for {choice.requested}: {choice.reason}")
    for (repo, version), choice in sorted(summary.no_python.items()):
        console.print(f"[red]no_python:[/red] {repo} {version}: {choice.reason}")
    for instance_id in summary.unversioned:
        console.print(f"[yellow]no version:[/yellow] {instance_id}")
    for draft in summary.drafts:
        console.print(f"[yellow]no spec: drafted[/yellow] {draft} — review it, then copy it into specs/")
    for path in summary.files:
        console.print(f"versioned: [bold]{path}[/bold]")


def build_summary(summary: BuildSummary) -> None:
    table = Table(title="build")
    for column in ("tier", "built", "reused"):
        table.add_column(column)
    for tier in ("base", "env", "instance"):
        table.add_row(tier, str(summary.built[tier]), str(summary.reused[tier]))
    console.print(table)
    if summary.nothing_built:
        console.print("every image was already built: nothing to do")
    if summary.verifications:
        console.print(verification_table(summary.verifications, "recipes verified for build"))
    for (reason, detail), instance_ids in summary.report.by_cause().items():
        shown = ", ".join(instance_ids[:5]) + (
            f" and {len(instance_ids) - 5} more" if len(instance_ids) > 5 else ""
        )
        console.print(f"[red]{reason}[/red] ({len(instance_ids)} instances: {shown})", markup=True)
        console.print(detail, markup=False, highlight=False)
    env_bytes = sum(summary.env_images.values())
    marginal = sorted(summary.marginal_bytes.values())
    if marginal:
        median = marginal[len(marginal) // 2]
        console.print(
            f"env images: {len(summary.env_images)} ({env_bytes / 1e6:.0f} MB); "
            f"instance images: {len(marginal)}, own layers median {median / 1e6:.2f} MB, "
            f"max {marginal[-1] / 1e6:.2f} MB; {summary.seconds:.0f}s"
        )


def validate_summary(summary: ValidateSummary) -> None:
    console.print(outcome_table("validate", summary.outcomes))
    if summary.already_done:
        console.print(
            f"{summary.already_done} instances were already judged on the same image (--force to redo)"
        )
    overhead = sorted(summary.overhead_per_run)
    if overhead:
        console.print(
            f"overhead per run (container, patches, parsing; not the tests): median "
            f"{overhead[len(overhead) // 2]:.2f}s, max {overhead[-1]:.2f}s"
        )
    if summary.removed_bytes:
        console.print(f"removed images afterwards (--keep): {summary.removed_bytes / 1e6:.0f} MB")
    for path in summary.files:
        console.print(f"validated: [bold]{path}[/bold]")


def publish_summary(summary: PublishSummary, dry_run: bool) -> None:
    counts = summary.export.stats.split_counts
    console.print(
        f"dataset: [bold]{summary.export.folder}[/bold] ({', '.join(f'{k}: {v}' for k, v in counts.items())})"
    )
    console.print(f"images: {len(summary.image_names)} {'tagged locally' if dry_run else 'pushed'}")
    if summary.task_repo is not None:
        console.print(f"SWE-bench task repo: [bold]{summary.task_repo}[/bold]")
    if summary.planned is not None:
        total = sum(f.size for f in summary.planned)
        console.print(f"dry run: would upload {len(summary.planned)} files ({total / 1e3:.0f} kB):")
        for planned in summary.planned:
            console.print(f"  {planned.path} ({planned.size} bytes)")
    if summary.pushed is not None:
        what = "new commit" if summary.pushed.new_commit else "unchanged, no new commit"
        console.print(f"pushed to {summary.pushed.commit_url} ({what})")
