"""The user-facing display every stage shares: progress lines or a status line, and the pieces of
closing tables. Each stage's own table is drawn by its command module; library code never prints."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from swegym_build.driver import DETAIL, StageReport

console = Console(stderr=True)

# Off a terminal (a log file, CI), progress is written as plain lines: at most one per
# LOG_INTERVAL for a stream of small steps, and a heartbeat when nothing was said for that long.
LOG_INTERVAL = 60.0


def log_line(message: str) -> None:
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
        log_line(f"{self.title}: {message}")

    def _beat(self) -> None:
        while not self._stop.wait(LOG_INTERVAL / 4):
            with self._lock:
                if time.monotonic() - self.last_said >= LOG_INTERVAL:
                    elapsed = time.monotonic() - self.started
                    self._say(f"still working ({elapsed / 60:.0f} min): {self.last_message}")

    def __enter__(self) -> _LogProgress:
        log_line(f"{self.title}: started")
        self._heartbeat.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._heartbeat.join()
        if not self.last_message_said:
            self._say(self.last_message)
        log_line(f"{self.title}: finished in {time.monotonic() - self.started:.0f}s")


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


def outcome_table(title: str, outcomes: Counter[str]) -> Table:
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("count", justify="right")
    for outcome, count in sorted(outcomes.items(), key=lambda item: (item[0] != "kept", -item[1], item[0])):
        table.add_row(outcome, str(count), style="green" if outcome == "kept" else None)
    return table


def problems_by_cause(report: StageReport, shown: int = 5) -> Iterator[RenderableType]:
    """Each failure once, with the instances it stopped (an env that failed stops all of its
    version's instances: one line, not one per instance)."""
    for (reason, detail), instance_ids in report.by_cause().items():
        names = ", ".join(instance_ids[:shown]) + (
            f" and {len(instance_ids) - shown} more" if len(instance_ids) > shown else ""
        )
        yield Text.from_markup(f"[red]{reason}[/red] ({len(instance_ids)} instances: {names})")
        yield Text(detail)


def show(renderables: Iterable[RenderableType]) -> None:
    for renderable in renderables:
        console.print(renderable, highlight=False)
