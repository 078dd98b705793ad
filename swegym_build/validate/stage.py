"""The validate stage: keep only instances whose gold patch turns failing tests green, every run.

Per instance: the patches are checked, then each side of each run (`--runs` times before and
after) runs in a fresh container (runner.py says how and why), the next one prepared while the
current one's tests run; runs stop once no test fails before and passes after in every run so far.
Each side's output must pass the checks (checks.py) before its statuses
count; the verdict (verdict.py) is computed here, on the host. The worker returns the logs as
data; the driver writes them under logs/validate/<id>/run-N/, the verdict to result.json there
and to the state store, as each instance finishes. An instance already judged on the same image
is not run again unless forced, so a `kill -9` costs only the instances in flight; `incomplete`
and `error` are tried again. validated/<repo>.jsonl is rewritten at the end of every run with
every kept instance of the repository.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from swegym_build.containment import ContainerLimits
from swegym_build.dockerio import engine_client, existing_image, pull_local_tag
from swegym_build.driver import Outcome, Planned, Stage, StageReport, drive
from swegym_build.errors import GitError, ValidationError
from swegym_build.executors import Executor, LocalExecutor
from swegym_build.gitread import CommitTree
from swegym_build.handoff import read_built, read_result, read_versioned
from swegym_build.interrupt import Interrupted, stop_on_signals, stopping
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.records import InstallConfig, RunRecord, TaskInstance, ValidationResult
from swegym_build.state import KEPT, REJECTED, StateStore
from swegym_build.validate.cases import enclosing_cases
from swegym_build.validate.checks import NO_CLOSING_SUMMARY, SideCheck, check_task_side
from swegym_build.validate.evalscript import GOLD_PATCH, TEST_PATCH, render_side_script
from swegym_build.validate.parsers.pytest_log import raised_errors, skip_reasons
from swegym_build.validate.parsers.status import TestStatus
from swegym_build.validate.runner import (
    DISK_LIMIT,
    INCOMPLETE,
    INTERRUPTED,
    MEMORY_LIMIT,
    OUTPUT_LIMIT,
    PATCH_APPLY_FAILED,
    SELF_KILL_GRACE,
    TEST_PATCH_APPLY_FAILED,
    TIMEOUT,
    UNHARDENED_IMAGE,
    Markers,
    PreparedSide,
    SideRequest,
    SideResult,
    drop,
    prepare_side,
    remove_orphans,
    run_side,
)
from swegym_build.validate.safety import check_patch
from swegym_build.validate.verdict import (
    ENV_BROKEN,
    FLAKY_ONLY,
    NO_FAIL_TO_PASS,
    RunStatuses,
    Statuses,
    judge,
)
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "validate"
NOT_BUILT = "not_built"
UNSAFE_PATCH = "unsafe_patch"
PHANTOM_TESTS = "phantom_tests"
TRUNCATED_MARK = "[swegym-build: output truncated at the limit; the side was stopped]"
# Exit codes of a test command killed by SIGKILL / SIGTERM: without a closing summary the run
# was cut short from outside the tests' reach (engine, operator) more often than not: retried.
KILLED_EXIT_CODES = (137, 143)
RETRIED_LATER = ("error", INCOMPLETE, UNHARDENED_IMAGE)

LISTS = ("FAIL_TO_PASS", "PASS_TO_PASS", "PASS_TO_FAIL", "FAIL_TO_FAIL", "flaky_tests", "xfail_tests")
FAILURE_DETAILS = {
    TIMEOUT: "killed at the time limit; see the logs",
    OUTPUT_LIMIT: "the test output passed the size limit; the side was stopped and its log truncated",
    DISK_LIMIT: "the container's writes passed the disk limit; it was stopped",
    MEMORY_LIMIT: "the container was killed at the memory limit",
    INCOMPLETE: "the container ended before the tests did (killed from outside?); retried",
    TEST_PATCH_APPLY_FAILED: "the test patch does not apply; see its .setup.log",
    PATCH_APPLY_FAILED: "the gold patch does not apply; see its .setup.log",
    UNHARDENED_IMAGE: "/testbed/.git or /opt/venv is writable by the test user: rebuild the image",
}

Notify = Callable[[str], None]


@dataclass(frozen=True)
class ValidateOptions:
    runs: int = 3
    limits: ContainerLimits = field(default_factory=ContainerLimits)
    force: bool = False
    registry: str | None = None  # where `build --registry` pushed the images, for other nodes
    # What stays on disk afterwards: "instance" (everything), "env" (instance images removed once
    # judged), "none" (env images too). Content-addressed tags make `build` bring them back.
    keep: str = "instance"
    retries: int = 2  # fresh attempts for a side that ends `incomplete`


@dataclass
class ValidateSummary:
    report: StageReport = field(default_factory=lambda: StageReport(STAGE))
    overhead_per_run: list[float] = field(default_factory=list)  # seconds, one entry per instance
    removed_bytes: int = 0  # images removed afterwards (--keep)
    files: list[Path] = field(default_factory=list)

    @property
    def outcomes(self) -> Counter[str]:
        return self.report.outcomes

    @property
    def already_done(self) -> int:
        return self.report.already_done


@dataclass(frozen=True)
class ValidateJob:
    """Everything a worker needs to judge one instance (picklable: it may travel to a Ray node)."""

    instance: TaskInstance
    image: str
    runs: int
    limits: ContainerLimits
    registry: str | None = None
    retries: int = 2
    # the cases the test patch edits without showing their header (cases.py), read on the driver
    enclosing: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidateOutcome:
    result: ValidationResult
    logs: dict[str, bytes]  # file name under the instance's log folder -> content


def run_validate(
    workspace: Workspace,
    state: StateStore,
    instances: list[TaskInstance],
    options: ValidateOptions,
    executor: Executor | None = None,
    notify: Notify = lambda _: None,
) -> ValidateSummary:
    """Judge `instances`; on Ctrl-C / SIGTERM record what finished, remove running containers and
    raise KeyboardInterrupt (the CLI exits 130)."""
    stage = ValidateStage(workspace, instances, options, notify)
    report = drive(stage, state, executor or LocalExecutor(1), notify, options.force)
    stage.summary.report = report
    if stage.interrupted:
        raise KeyboardInterrupt("validate interrupted: finished instances are recorded")
    if options.keep != "instance":
        stage.summary.removed_bytes = remove_images(
            workspace, state, [i.instance_id for i in instances], options.keep == "none"
        )
    return stage.summary


class ValidateStage(Stage[ValidateJob, ValidateOutcome]):
    """Per instance: a worker judges it (`validate_job`); its result becomes result.json and a row."""

    name: str = STAGE
    done: tuple[str, ...] = (KEPT, REJECTED)  # `incomplete` and `error` (FAILED) are tried again

    def __init__(
        self, workspace: Workspace, instances: list[TaskInstance], options: ValidateOptions, notify: Notify
    ) -> None:
        self.workspace, self.instances, self.options, self.notify = workspace, instances, options, notify
        self.summary = ValidateSummary()
        self.interrupted = False

    def plan(self, state: StateStore) -> Iterator[Planned[ValidateJob] | Outcome]:
        built = read_built(self.workspace, sorted({i.repo for i in self.instances}))
        options = self.options
        for instance in self.instances:
            image = built[instance.instance_id].image if instance.instance_id in built else None
            if image is None:
                detail = "no image: run `swegym-build build` first (or see its failure)"
                yield self._outcome(instance, ValidationResult(instance.instance_id, NOT_BUILT, detail), None)
                continue
            enclosing = tuple(self._enclosing(instance))
            job = ValidateJob(
                instance, image, options.runs, options.limits, options.registry, options.retries, enclosing
            )
            resume = (instance.instance_id, _key(image, options.runs, enclosing))
            yield Planned(job, instance.instance_id, resume=resume)

    def _enclosing(self, instance: TaskInstance) -> list[str]:
        try:
            config = instance.config
        except ValueError:
            return []  # the worker reports the instance's unusable install_config
        if config.test_cases is None:
            return []
        tree = CommitTree(self.workspace.mirror_dir(instance.repo), instance.base_commit)

        def read(path: str) -> str | None:
            try:
                return tree.read(path)
            except GitError:
                return None

        return enclosing_cases(instance.test_patch, config.test_cases, read)

    def worker(self) -> Callable[[ValidateJob], ValidateOutcome]:
        return validate_job

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        client = engine_client(check=False)
        if removed := remove_orphans(client):
            self.notify(f"removed {removed} containers left by earlier runs")
        with stop_on_signals(client) as signalled:
            yield
            self.interrupted = signalled.is_set()

    def settle(self, job: ValidateJob, outcome: ValidateOutcome) -> list[Outcome]:
        """Record one outcome; a failure to write it is that instance's `error`, never the run's end."""
        if outcome.result.reason == INTERRUPTED:
            return []  # not judged: the next run does it
        try:
            return [self._outcome(job.instance, outcome.result, job, outcome.logs)]
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.exception("%s: recording the outcome failed", job.instance.instance_id)
            detail = f"recording the outcome failed: {type(error).__name__}: {error}"
            return [
                self._outcome(job.instance, ValidationResult(job.instance.instance_id, "error", detail), job)
            ]

    def finish(self, report: StageReport) -> None:
        for repo in sorted({i.repo for i in self.instances}):
            ran = [i for i in self.instances if i.repo == repo]
            self.summary.files.append(write_validated(self.workspace, repo, ran))

    def _outcome(
        self,
        instance: TaskInstance,
        result: ValidationResult,
        job: ValidateJob | None,
        logs: dict[str, bytes] | None = None,
    ) -> Outcome:
        """Logs into the workspace and result.json; the outcome for the state store."""
        log_dir = self.workspace.log_dir(STAGE, instance.instance_id)
        if logs:
            shutil.rmtree(log_dir, ignore_errors=True)
            for name, content in logs.items():
                path = log_dir / name  # names the worker made (run-N/side.*), never the container's
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        result = dataclasses.replace(
            result,
            instance_id=instance.instance_id,
            logs=str(log_dir),
            image=job.image if job else None,
            runs_requested=job.runs if job else 0,
        )
        _write_json(log_dir / "result.json", result.to_dict())
        if result.overhead_per_run is not None and result.reason != TIMEOUT:
            # A run cut off at the time limit says nothing about the harness's own cost.
            self.summary.overhead_per_run.append(result.overhead_per_run)
        # An engine error or a run cut short (killed from outside) says nothing about the task: the
        # next run tries again. Everything else is a verdict.
        return Outcome(
            instance.instance_id,
            instance.repo,
            result.reason,
            result.detail,
            inputs_key=_key(job.image if job else None, job.runs if job else 0, job.enclosing if job else ()),
            retry=result.reason in RETRIED_LATER,
        )


def remove_images(workspace: Workspace, state: StateStore, instance_ids: list[str], env_too: bool) -> int:
    """Remove the instance images of judged instances (and their env images); return bytes freed."""
    client = engine_client(check=False)
    built = read_built(workspace, sorted({r.repo for r in state.records(STAGE)}))
    judged = {r.instance_id for r in state.records(STAGE) if r.status in (KEPT, REJECTED)}
    chosen = [built[i] for i in instance_ids if i in built and i in judged]
    tags = [b.image for b in chosen]
    if env_too:
        tags += sorted({b.env_image for b in chosen})
    freed = 0
    for tag in tags:
        image = existing_image(client, tag)
        if image is not None:
            freed += int(image.attrs.get("Size", 0))
            client.images.remove(str(image.id), force=True)
    return freed


def _key(image: str | None, runs: int, enclosing: tuple[str, ...] = ()) -> str:
    # the enclosing cases change the test command: a verdict on another selection is not this one's
    return f"{image}|runs={runs}" + (f"|cases={','.join(enclosing)}" if enclosing else "")


def validate_job(job: ValidateJob) -> ValidateOutcome:
    """The worker's half: judge one instance; never raises (any failure is that instance's result)."""
    logs: dict[str, bytes] = {}
    instance_id = job.instance.instance_id
    try:
        result = _judge(engine_client(check=False), job, logs)
    except Interrupted:
        result = ValidationResult(instance_id, INTERRUPTED)
    except Exception as error:  # one instance's failure must not end the others
        if stopping():  # its containers were removed under it
            return ValidateOutcome(ValidationResult(instance_id, INTERRUPTED), logs)
        log.exception("%s: validation failed", instance_id)
        result = ValidationResult(instance_id, "error", f"{type(error).__name__}: {error}")
    return ValidateOutcome(result, logs)


def _image_on_this_node(client: docker.DockerClient, job: ValidateJob) -> None:
    """A node that did not build the image pulls it from the registry the build pushed it to."""
    if existing_image(client, job.image) is not None:
        return
    if job.registry is None:
        raise ValidationError(
            f"{job.instance.instance_id}: image {job.image} is not on this node and no "
            "registry was given (build with --registry, validate with the same --registry)"
        )
    pull_local_tag(client, job.image, job.registry)


@dataclass
class _Side:
    number: int
    result: SideResult
    check: SideCheck | None  # None when the side did not finish (result.failure)


def _judge(client: docker.DockerClient, job: ValidateJob, logs: dict[str, bytes]) -> ValidationResult:
    instance = job.instance
    try:
        check_patch(instance.instance_id, "test_patch", instance.test_patch)
        check_patch(instance.instance_id, "patch", instance.patch)
    except ValidationError as error:
        return ValidationResult(instance.instance_id, UNSAFE_PATCH, str(error))
    _image_on_this_node(client, job)
    config = instance.config
    started = time.monotonic()
    plan = [(number, side) for number in range(1, job.runs + 1) for side in ("before", "after")]
    sides: list[_Side] = []
    with ThreadPoolExecutor(max_workers=1) as preparer:
        upcoming = preparer.submit(_prepare, client, job, config, plan[0][1])
        for index, (number, _) in enumerate(plan):
            prepared = upcoming.result()
            if index + 1 < len(plan):
                upcoming = preparer.submit(_prepare, client, job, config, plan[index + 1][1])
            done = _run_side(client, job, config, number, prepared, logs)
            sides.append(done)
            if done.result.failure or (done.check and done.check.problem):
                break
            if done.result.side == "after" and number < job.runs and not _candidates_left(sides):
                break  # a FAIL_TO_PASS test must fail before and pass after in every run
        if index + 1 < len(plan):
            with contextlib.suppress(Exception):  # it failed to prepare: nothing to remove
                drop(upcoming.result())
    return _verdict_record(instance.instance_id, sides, time.monotonic() - started, job.runs)


def _prepare(client: docker.DockerClient, job: ValidateJob, config: InstallConfig, side: str) -> PreparedSide:
    instance = job.instance
    gold = instance.patch if side == "after" else None
    markers = Markers.new()
    # The container's own backstop: it ends even if the process that started it is killed.
    self_kill = int(job.limits.timeout) + SELF_KILL_GRACE
    script = render_side_script(config, instance.test_patch, gold, markers, self_kill, job.enclosing)
    patches = {TEST_PATCH: instance.test_patch} | ({GOLD_PATCH: gold} if gold is not None else {})
    request = SideRequest(side, script, patches, markers)
    return prepare_side(client, job.image, instance.instance_id, request, job.limits)


def _run_side(
    client: docker.DockerClient,
    job: ValidateJob,
    config: InstallConfig,
    number: int,
    prepared: PreparedSide,
    logs: dict[str, bytes],
) -> _Side:
    """One side in a fresh container, retried (fresh again) while it ends `incomplete`."""
    instance, side = job.instance, prepared.request.side
    for attempt in range(job.retries + 1):
        if attempt:
            prepared = _prepare(client, job, config, side)
        result = run_side(prepared, instance.instance_id, job.limits.timeout)
        check = None
        if not result.failure:
            check = check_task_side(
                config, instance.test_patch, result.log, result.exit_code, result.files, job.enclosing
            )
        if check and check.problem == NO_CLOSING_SUMMARY and (result.exit_code or 0) in KILLED_EXIT_CODES:
            result = dataclasses.replace(result, failure=INCOMPLETE)  # killed, by the engine or from outside
            check = None
        _keep_side_logs(logs, number, result, prepared.request.script, attempt + 1)
        if result.failure != INCOMPLETE or attempt == job.retries:
            break
        log.warning(
            "%s: run %d %s ended incomplete; retrying in a fresh container",
            instance.instance_id,
            number,
            side,
        )
    return _Side(number, result, check)


def _keep_side_logs(
    logs: dict[str, bytes], number: int, result: SideResult, script: str, attempt: int
) -> None:
    prefix = f"run-{number}/{result.side}"
    log_text = result.log + (f"\n{TRUNCATED_MARK}\n" if result.truncated else "")
    logs[f"{prefix}.log"] = log_text.encode()
    logs[f"{prefix}.setup.log"] = result.setup_log.encode()
    logs[f"{prefix}.sh"] = script.encode()
    facts = {
        "attempt": attempt,
        "exit_code": result.exit_code,
        "failure": result.failure,
        "test_seconds": round(result.test_seconds, 3),
        "wall_seconds": round(result.wall_seconds, 3),
        "setup_seconds": round(result.setup_seconds, 3),
        "truncated": result.truncated,
        "disk_watched": result.disk_watched,
    }
    logs[f"{prefix}.json"] = json.dumps(facts, indent=1).encode()


def _run_statuses(sides: list[_Side]) -> list[RunStatuses]:
    by_run: dict[int, dict[str, Statuses]] = {}
    for side in sides:
        by_run.setdefault(side.number, {})[side.result.side] = side.check.statuses if side.check else {}
    return [RunStatuses(before=r["before"], after=r["after"]) for _, r in sorted(by_run.items())]


def _candidates_left(sides: list[_Side]) -> bool:
    """Whether a test still fails before and passes after in every finished run: later runs
    can only take candidates away, so without one they would not change the rejection."""
    return bool(judge(_run_statuses(sides)).FAIL_TO_PASS)


_STATUS_ORDER = list(TestStatus)
_REASON_CHARS = 160


def _after_the_fix(statuses: list[RunStatuses], sides: list[_Side]) -> str:
    """What the last run's tests did after the fix, why the skipped ones were skipped, and the
    exceptions (other than failed asserts) their tracebacks ended in.

    A rejection with nothing fixed is often the env's, not the task's: the tests the patch
    touches were skipped for an optional dependency the recipe lacks (`could not import
    'tables'`), which a spec's pip_packages cures. The reasons come from pytest's summary.
    """
    counts = Counter(statuses[-1].after.values())
    shown = ", ".join(f"{counts[s]} {s.value.lower()}" for s in _STATUS_ORDER if counts[s])
    parts = [f"after the fix: {shown}"] if shown else []
    after = [side for side in sides if side.result.side == "after"]
    reasons = skip_reasons(after[-1].result.log) if after else Counter()
    if reasons:
        listed = "; ".join(f"{reason[:_REASON_CHARS]} (x{n})" for reason, n in reasons.most_common(3))
        more = f"; {len(reasons) - 3} more reasons" if len(reasons) > 3 else ""
        parts.append(f"skipped: {listed}{more}")
    errors = raised_errors(after[-1].result.log) if after else Counter()
    if errors:
        parts.append("raised: " + "; ".join(f"{e[:_REASON_CHARS]} (x{n})" for e, n in errors.most_common(2)))
    return "; ".join(parts)


def _verdict_record(
    instance_id: str, sides: list[_Side], wall: float, runs_requested: int
) -> ValidationResult:
    test_seconds = sum(side.result.test_seconds for side in sides)
    finished_runs = max(1, len({side.number for side in sides}))

    def timed(result: ValidationResult) -> ValidationResult:
        return dataclasses.replace(
            result,
            wall_seconds=round(wall, 3),
            test_seconds=round(test_seconds, 3),
            overhead_per_run=round(max(0.0, wall - test_seconds) / finished_runs, 3),
            disk_watched=all(side.result.disk_watched for side in sides),
        )

    last = sides[-1]
    where = f"run {last.number} {last.result.side}"
    if last.result.failure:
        detail = FAILURE_DETAILS.get(last.result.failure, "see the logs")
        return timed(ValidationResult(instance_id, last.result.failure, f"{where}: {detail}"))
    if last.check and last.check.problem:
        return timed(ValidationResult(instance_id, last.check.problem, f"{where}: {last.check.detail}"))
    anomalies = [
        f"run {s.number} {s.result.side}: phantom test id {t}"
        for s in sides
        if s.check
        for t in s.check.phantoms
    ]
    statuses = _run_statuses(sides)
    verdict = judge(statuses)
    detail = ""
    if verdict.reason in (NO_FAIL_TO_PASS, FLAKY_ONLY, ENV_BROKEN):
        stopped = (
            f"stopped after run {len(statuses)} of {runs_requested}: "
            if len(statuses) < runs_requested
            else ""
        )
        # env_broken: the suite reported no test after the fix; the skip reasons often say why
        # (a module skipped whole for a dependency names no test).
        what = (
            "no test reported a status after the fix"
            if verdict.reason == ENV_BROKEN
            else ("no test failed before the fix and passed after it")
        )
        detail = "; ".join(filter(None, [f"{stopped}{what}", _after_the_fix(statuses, sides)]))
    if anomalies:
        verdict.reason = PHANTOM_TESTS
        detail = f"{len(anomalies)} test ids printed that the test files do not define"
    runs = [
        RunRecord(
            before={k: v.name for k, v in s.before.items()}, after={k: v.name for k, v in s.after.items()}
        )
        for s in statuses
    ]
    lists = {name: getattr(verdict, name) for name in LISTS}
    return timed(
        ValidationResult(instance_id, verdict.reason, detail, runs=runs, anomalies=anomalies, **lists)
    )


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(partial, path)


def write_validated(workspace: Workspace, repo: str, ran: Sequence[TaskInstance] = ()) -> Path:
    """validated/<repo>.jsonl: every kept instance of the repository with its test lists.

    The file holds the repository's whole kept set, whatever subset this run judged: the
    versioned file's instances in its order (as this run saw them when it ran them), then any
    instance this run judged that the versioned file does not list. A row is kept when its
    result.json says kept.
    """
    ran_by_id = {instance.instance_id: instance for instance in ran}
    versioned = read_versioned(workspace, [repo])
    listed = {instance.instance_id for instance in versioned}
    candidates = [ran_by_id.get(i.instance_id, i) for i in versioned]
    candidates += [instance for instance in ran if instance.instance_id not in listed]
    kept = []
    for instance in candidates:
        result = read_result(workspace, instance.instance_id)
        if result is None or result.reason != KEPT:
            continue
        lists = {name: getattr(result, name) for name in LISTS}
        kept.append(dataclasses.replace(instance, **lists).to_dict())
    path = workspace.validated_file(repo)
    write_jsonl_atomically(path, kept)
    return path
