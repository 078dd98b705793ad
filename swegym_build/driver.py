"""One driver for every stage: resume, state writes, outcome counts, progress, the executor.

A stage (the `Stage` protocol) says what its jobs are, runs one job purely (its `worker`, a
module-level function that may travel to a Ray node and writes no state) and turns each result
into outcomes, writing its own typed record files as it does. The driver does the rest, the same
way for every stage (as datatrove's executors share one `_run_for_rank`):

- resume: a job planned with a resume key is skipped when the state store already holds a
  finished row for it with the same inputs;
- the state store: one row per outcome, written only here, as each job finishes (a `kill -9`
  loses the jobs in flight, nothing recorded);
- counts, failures grouped by cause, seconds: the `StageReport` every summary starts from;
- progress: a line per finished job with its verdict and a running count.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from swegym_build.executors import Executor
from swegym_build.state import FAILED, KEPT, REJECTED, StateStore

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")
Notify = Callable[[str], None]
# Starts a progress message that is a line of a job's own output (a Dockerfile step, a pip line):
# a terminal's status line shows it; a log shows it only in its heartbeat, so the log keeps one
# line per finished step.
DETAIL = "\N{MIDDLE DOT} "


@dataclass(frozen=True)
class Outcome:
    """What one instance came to in one stage: a row of the state store."""

    instance_id: str
    repo: str
    reason: str  # KEPT, or why not
    detail: str = ""
    inputs_key: str = ""  # what the outcome depends on; a re-run with the same key skips the job
    # Says nothing about the task (an engine error, a run killed from outside): recorded as
    # FAILED, and the next run tries again.
    retry: bool = False
    # Instances stopped by one cause (an env that failed) are reported together, once.
    cause: str = ""
    # Already in the state store as it is (a per-repository job met it unchanged): counted, not
    # written again.
    unchanged: bool = False

    @property
    def status(self) -> str:
        if self.reason == KEPT:
            return KEPT
        return FAILED if self.retry else REJECTED


@dataclass(frozen=True)
class Planned(Generic[J]):
    """A job to run; with `resume`, (instance id, inputs key) of the row that makes it done."""

    job: J
    label: str
    resume: tuple[str, str] | None = None


@dataclass
class StageReport:
    stage: str
    outcomes: Counter[str] = field(default_factory=Counter)
    already_done: int = 0
    problems: list[Outcome] = field(default_factory=list)  # every outcome that was not KEPT
    seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome.reason] += 1
        if outcome.reason != KEPT:
            self.problems.append(outcome)

    def merged(self, other: StageReport) -> StageReport:
        """One report of two passes of the same stage (build's env and instance passes)."""
        return StageReport(
            self.stage,
            self.outcomes + other.outcomes,
            self.already_done + other.already_done,
            self.problems + other.problems,
            self.seconds + other.seconds,
        )

    def by_cause(self) -> dict[tuple[str, str], list[str]]:
        """(reason, cause or detail) -> the instances it stopped, in the order they were recorded."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for outcome in self.problems:
            grouped.setdefault((outcome.reason, outcome.cause or outcome.detail), []).append(
                outcome.instance_id
            )
        return grouped


class Stage(Protocol[J, R]):
    """What a stage implements; `drive` does everything else. A stage class that subclasses it
    gets `running` and `finish` that do nothing."""

    name: str  # the state store's stage column
    # Statuses of a recorded row that make a planned job with the same inputs key done.
    done: tuple[str, ...]

    def plan(self, state: StateStore) -> Iterable[Planned[J] | Outcome]:
        """The jobs, and outcomes already known without running anything (e.g. not built)."""
        ...

    def worker(self) -> Callable[[J], R]:
        """The module-level function that runs one job (picklable). A failure of one job is its
        result; it raises only for what ends the whole run (publish's one job, a hub refusing)."""
        ...

    def settle(self, job: J, result: R) -> Iterable[Outcome]:
        """A result's outcomes; the stage writes its record files and logs here. Each outcome is
        recorded as it is yielded, so a stage may stream them while its work goes on."""
        ...

    def running(self) -> contextlib.AbstractContextManager[object]:
        """Held while the jobs run (signal handling, say)."""
        return contextlib.nullcontext()

    def finish(self, report: StageReport) -> None:
        """After the last job: the stage's whole-run files (e.g. validated/<repo>.jsonl)."""
        return None


def drive(
    stage: Stage[J, R],
    state: StateStore,
    executor: Executor,
    notify: Notify = lambda _: None,
    force: bool = False,
) -> StageReport:
    started = time.monotonic()
    report = StageReport(stage.name)
    todo: list[Planned[J]] = []
    for item in stage.plan(state):
        if isinstance(item, Outcome):
            _record(state, stage.name, item, report)
        elif item.resume and not force and _recorded(state, stage, item.resume):
            report.already_done += 1
        else:
            todo.append(item)
    if todo:
        notify(
            f"{len(todo)} to do" + (f", {report.already_done} already done" if report.already_done else "")
        )
    labels = {id(planned.job): planned.label for planned in todo}
    with stage.running() if todo else contextlib.nullcontext():
        results = executor.run(stage.worker(), [planned.job for planned in todo])
        for done, (job, result) in enumerate(results, 1):
            reasons = set()
            for outcome in stage.settle(job, result):  # recorded one by one, as a stage streams them
                _record(state, stage.name, outcome, report)
                reasons.add(outcome.reason)
            verdicts = ", ".join(sorted(reasons)) or "done"
            notify(f"{done}/{len(todo)} {labels.get(id(job), '')}: {verdicts}")
    stage.finish(report)
    report.seconds = time.monotonic() - started
    return report


def _recorded(state: StateStore, stage: Stage[J, R], resume: tuple[str, str]) -> bool:
    instance_id, inputs_key = resume
    previous = state.get(instance_id, stage.name)
    return previous is not None and previous.inputs_key == inputs_key and previous.status in stage.done


def _record(state: StateStore, stage: str, outcome: Outcome, report: StageReport) -> None:
    report.add(outcome)
    if outcome.unchanged:
        return
    if outcome.reason != KEPT:
        log.info("%s: %s: %s", outcome.instance_id, outcome.reason, outcome.detail.splitlines()[:1])
    state.record(
        instance_id=outcome.instance_id,
        stage=stage,
        repo=outcome.repo,
        status=outcome.status,
        reason="" if outcome.reason == KEPT else outcome.reason,
        detail=outcome.detail,
        inputs_key=outcome.inputs_key,
    )
