"""The one driver: resume by inputs, one state row per outcome as it streams, failures by cause."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from swegym_build.driver import Outcome, Planned, StageReport, drive
from swegym_build.executors import LocalExecutor
from swegym_build.state import FAILED, KEPT, REJECTED, StateStore


def _square(job: tuple[str, int]) -> int:
    return job[1] * job[1]


class Squares:
    """A toy stage: a job per instance, kept when its square is even; odd squares stop on one cause."""

    name = "squares"
    done: tuple[str, ...] = (KEPT, REJECTED)

    def __init__(self, jobs: dict[str, int], stream: list[str] | None = None) -> None:
        self.jobs, self.stream, self.finished = jobs, stream, False

    def plan(self, state: StateStore) -> Iterator[Planned[tuple[str, int]] | Outcome]:
        for name, value in self.jobs.items():
            if value < 0:
                yield Outcome(name, "o/r", "negative", "no job was run")
            else:
                yield Planned((name, value), name, resume=(name, str(value)))

    def worker(self) -> Callable[[tuple[str, int]], int]:
        return _square

    def running(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def settle(self, job: tuple[str, int], result: int) -> Iterator[Outcome]:
        name, value = job
        if self.stream is not None:
            self.stream.append(f"settling {name}")
        if result % 2 == 0:
            yield Outcome(name, "o/r", KEPT, str(result), inputs_key=str(value))
        else:
            yield Outcome(name, "o/r", "odd", f"{result} is odd", str(value), retry=True, cause="odd squares")

    def finish(self, report: StageReport) -> None:
        self.finished = True


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore(tmp_path / "state.sqlite")
    yield store
    store.close()


def test_every_outcome_is_one_row_and_failures_of_one_cause_are_reported_together(state: StateStore) -> None:
    stage = Squares({"a": 2, "b": 3, "c": 5, "d": -1})
    lines: list[str] = []

    report = drive(stage, state, LocalExecutor(2), lines.append)

    assert report.outcomes == {KEPT: 1, "odd": 2, "negative": 1}
    assert stage.finished
    rows = {r.instance_id: r for r in state.records("squares")}
    assert (rows["a"].status, rows["a"].inputs_key) == (KEPT, "2")
    assert rows["b"].status == FAILED and rows["b"].reason == "odd"  # retry: tried again next time
    assert rows["d"].status == REJECTED and rows["d"].detail == "no job was run"
    assert set(report.by_cause()[("odd", "odd squares")]) == {"b", "c"}
    assert any(line.startswith("3/3 ") for line in lines)  # a running count per finished job


def test_a_rerun_skips_what_is_recorded_with_the_same_inputs_and_retries_the_rest(state: StateStore) -> None:
    drive(Squares({"a": 2, "b": 3}), state, LocalExecutor(1))

    again = drive(Squares({"a": 2, "b": 3}), state, LocalExecutor(1))
    assert again.already_done == 1 and again.outcomes == {"odd": 1}  # b FAILED: retried

    changed = drive(Squares({"a": 4, "b": 3}), state, LocalExecutor(1))
    assert changed.already_done == 0 and changed.outcomes[KEPT] == 1  # a's inputs changed
    assert state.get("a", "squares").inputs_key == "4"  # type: ignore[union-attr]

    forced = drive(Squares({"a": 4}), state, LocalExecutor(1), force=True)
    assert forced.already_done == 0 and forced.outcomes == {KEPT: 1}


def test_streamed_outcomes_are_recorded_before_the_stage_goes_on(state: StateStore) -> None:
    seen: list[str] = []

    class Streaming(Squares):
        def settle(self, job: tuple[str, int], result: int) -> Iterator[Outcome]:
            for n in range(3):
                # Each earlier outcome is in the state store by the time the next one is made.
                seen.append(",".join(sorted(r.instance_id for r in state.records("squares"))))
                yield Outcome(f"{job[0]}-{n}", "o/r", KEPT, inputs_key="x")

    drive(Streaming({"a": 1}), state, LocalExecutor(1))

    assert seen == ["", "a-0", "a-0,a-1"]
