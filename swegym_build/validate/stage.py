"""The validate stage: keep only instances whose gold patch turns failing tests green, every run.

Per instance: the patches are checked, one container runs the eval script (`--runs` times each
side), logs and the script are saved under logs/validate/<id>/, the verdict goes to result.json
there and to the state store. An instance already judged on the same image is not run again
unless forced, so a `kill -9` costs only the instances in flight. validated/<repo>.jsonl is
rewritten from the results at the end of every run.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import shutil
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from swegym_build.dockerio import pull_local_tag
from swegym_build.errors import SwegymError, ValidationError
from swegym_build.executors import Executor, LocalExecutor
from swegym_build.images.engine import existing_image
from swegym_build.jsonl import read_jsonl, write_jsonl_atomically
from swegym_build.records import TaskInstance
from swegym_build.state import FAILED, KEPT, REJECTED, StateStore
from swegym_build.validate.evalscript import render_eval_script
from swegym_build.validate.parsers import TestStatus, parse_log
from swegym_build.validate.runner import ContainerLimits, ContainerResult, SideLog, run_in_container
from swegym_build.validate.safety import check_patch
from swegym_build.validate.verdict import RunStatuses, Verdict, judge
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "validate"
NOT_BUILT = "not_built"
UNSAFE_PATCH = "unsafe_patch"
TIMEOUT = "timeout"
INCOMPLETE = "incomplete"

LISTS = ("FAIL_TO_PASS", "PASS_TO_PASS", "PASS_TO_FAIL", "FAIL_TO_FAIL", "flaky_tests")

Notify = Callable[[str], None]


@dataclass(frozen=True)
class ValidateOptions:
    runs: int = 3
    limits: ContainerLimits = field(default_factory=ContainerLimits)
    workers: int = 1
    force: bool = False
    registry: str | None = None  # where `build --registry` pushed the images, for other nodes
    # What stays on disk afterwards: "instance" (everything), "env" (instance images removed once
    # judged), "none" (env images too). Content-addressed tags make `build` bring them back.
    keep: str = "instance"


@dataclass
class ValidateSummary:
    outcomes: Counter[str] = field(default_factory=Counter)
    already_done: int = 0
    overhead_per_run: list[float] = field(default_factory=list)  # seconds, one entry per instance
    removed_bytes: int = 0  # images removed afterwards (--keep)
    files: list[Path] = field(default_factory=list)


def built_images(state: StateStore) -> dict[str, str]:
    """instance id -> image tag, for instances the build stage finished."""
    return {r.instance_id: json.loads(r.detail)["image"] for r in state.records("build") if r.status == KEPT}


@dataclass(frozen=True)
class ValidateJob:
    """Everything a worker needs to judge one instance (picklable: it may travel to a Ray node)."""

    instance: TaskInstance
    image: str
    runs: int
    limits: ContainerLimits
    registry: str | None = None


@dataclass(frozen=True)
class ValidateOutcome:
    result: dict[str, Any]
    logs: bytes  # a tar of the job's log folder, unpacked by the driver into the workspace


def run_validate(
    workspace: Workspace,
    state: StateStore,
    instances: list[TaskInstance],
    options: ValidateOptions,
    executor: Executor | None = None,
    notify: Notify = lambda _: None,
) -> ValidateSummary:
    summary = ValidateSummary()
    images = built_images(state)
    jobs = []
    for instance in instances:
        image = images.get(instance.instance_id)
        previous = state.get(instance.instance_id, STAGE)
        if (
            previous
            and previous.inputs_key == _key(image, options.runs)
            and previous.status in (KEPT, REJECTED)
            and not options.force
        ):
            summary.already_done += 1
        elif image is None:
            detail = "no image: run `swegym-build build` first (or see its failure)"
            _record(workspace, state, instance, {"reason": NOT_BUILT, "detail": detail}, None, summary)
        else:
            jobs.append(ValidateJob(instance, image, options.runs, options.limits, options.registry))
    notify(f"validating {len(jobs)} instances")
    for done, (job, outcome) in enumerate(
        (executor or LocalExecutor(options.workers)).run(validate_job, jobs), 1
    ):
        _record(workspace, state, job.instance, outcome.result, job, summary, outcome.logs)
        notify(f"validated {done}/{len(jobs)}: {job.instance.instance_id} {outcome.result['reason']}")
    for repo in sorted({i.repo for i in instances}):
        ran = [i for i in instances if i.repo == repo]
        summary.files.append(write_validated(workspace, state, repo, ran))
    if options.keep != "instance":
        summary.removed_bytes = remove_images(
            state, [i.instance_id for i in instances], options.keep == "none"
        )
    return summary


def remove_images(state: StateStore, instance_ids: list[str], env_too: bool) -> int:
    """Remove the instance images of judged instances (and their env images); return bytes freed."""
    client = docker.from_env(timeout=600)
    details = {r.instance_id: json.loads(r.detail) for r in state.records("build") if r.status == KEPT}
    judged = {r.instance_id for r in state.records(STAGE) if r.status in (KEPT, REJECTED)}
    chosen = [i for i in instance_ids if i in details and i in judged]
    tags = [details[i]["image"] for i in chosen]
    if env_too:
        tags += sorted({details[i]["env_image"] for i in chosen})
    freed = 0
    for tag in tags:
        image = existing_image(client, tag)
        if image is not None:
            freed += int(image.attrs.get("Size", 0))
            client.images.remove(image.id, force=True)
    return freed


def _key(image: str | None, runs: int) -> str:
    return f"{image}|runs={runs}"


def _record(
    workspace: Workspace,
    state: StateStore,
    instance: TaskInstance,
    result: dict[str, Any],
    job: ValidateJob | None,
    summary: ValidateSummary,
    logs: bytes = b"",
) -> None:
    """The driver's half: logs into the workspace, result.json, the state row, the counts."""
    log_dir = workspace.log_dir(STAGE, instance.instance_id)
    if logs:
        shutil.rmtree(log_dir, ignore_errors=True)
        log_dir.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(logs)) as tar:
            tar.extractall(log_dir, filter="data")
    result = {**result, "instance_id": instance.instance_id, "logs": str(log_dir)}
    _write_json(log_dir / "result.json", result)
    reason = result["reason"]
    status = KEPT if reason == KEPT else FAILED if reason == "error" else REJECTED
    state.record(
        instance_id=instance.instance_id,
        stage=STAGE,
        repo=instance.repo,
        status=status,
        reason="" if status == KEPT else reason,
        detail=result.get("detail", ""),
        inputs_key=_key(job.image if job else None, job.runs if job else 0),
    )
    summary.outcomes[reason] += 1
    if reason not in (TIMEOUT, NOT_BUILT, UNSAFE_PATCH, "error"):
        # A run cut off at the time limit says nothing about the harness's own cost.
        summary.overhead_per_run.append(result["overhead_per_run"])


def validate_job(job: ValidateJob) -> ValidateOutcome:
    """The worker's half: judge one instance in a container; never raises (a failure is a result)."""
    with tempfile.TemporaryDirectory(prefix="swegym-validate-") as folder:
        log_dir = Path(folder)
        try:
            result = _judge(docker.from_env(timeout=600), job, log_dir)
        except (docker.errors.DockerException, SwegymError, OSError) as error:
            log.exception("%s: validation failed", job.instance.instance_id)
            result = {"reason": "error", "detail": f"{type(error).__name__}: {error}"}
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(log_dir, arcname=".")
        return ValidateOutcome(result, buffer.getvalue())


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


def _judge(client: docker.DockerClient, job: ValidateJob, log_dir: Path) -> dict[str, Any]:
    instance = job.instance
    try:
        check_patch(instance.instance_id, "test_patch", instance.test_patch)
        check_patch(instance.instance_id, "patch", instance.patch)
    except ValidationError as error:
        return {"reason": UNSAFE_PATCH, "detail": str(error)}
    _image_on_this_node(client, job)
    config = instance.install_config or {}
    script = render_eval_script(config, instance.test_patch, job.runs)
    result = run_in_container(
        client,
        job.image,
        instance.instance_id,
        script,
        instance.test_patch,
        instance.patch,
        job.runs,
        job.limits,
        log_dir,
    )
    return _verdict_record(config["log_parser"], result, job.runs)


def _verdict_record(parser: str, result: ContainerResult, runs: int) -> dict[str, Any]:
    overhead = max(0.0, result.wall_seconds - result.test_seconds) / max(1, len(result.runs) or runs)
    record: dict[str, Any] = {
        "wall_seconds": round(result.wall_seconds, 3),
        "test_seconds": round(result.test_seconds, 3),
        "overhead_per_run": round(overhead, 3),
    }
    failures = [run.failure for run in result.runs if run.failure]
    if result.timed_out:
        return {**record, "reason": TIMEOUT, "detail": "killed at the time limit; see the logs"}
    if failures:
        return {**record, "reason": failures[0], "detail": "see out/run-1 in the logs"}
    if not result.complete or len(result.runs) != runs:
        return {**record, "reason": INCOMPLETE, "detail": "the eval script stopped early; see container.log"}
    statuses = [
        RunStatuses(before=_tests(parser, run.before), after=_tests(parser, run.after)) for run in result.runs
    ]
    verdict = judge(statuses)
    return {
        **record,
        **dataclasses.asdict(verdict),
        "runs": [
            {
                "before": {k: v.name for k, v in s.before.items()},
                "after": {k: v.name for k, v in s.after.items()},
            }
            for s in statuses
        ],
    }


def _tests(parser: str, side: SideLog | None) -> dict[str, TestStatus]:
    """Per-test statuses of one side; a pytest file that failed to collect is not a test."""
    if side is None:
        return {}
    statuses = parse_log(parser, side.log, side.exit_code)
    if parser == "pytest":
        return {test: status for test, status in statuses.items() if "::" in test}
    return statuses


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(partial, path)


def read_result(workspace: Workspace, instance_id: str) -> dict[str, Any] | None:
    path = workspace.log_dir(STAGE, instance_id) / "result.json"
    return json.loads(path.read_text()) if path.exists() else None


def write_validated(
    workspace: Workspace, state: StateStore, repo: str, ran: Sequence[TaskInstance] = ()
) -> Path:
    """validated/<repo>.jsonl: every kept instance of the repository with its test lists.

    The file holds the repository's whole kept set, whatever subset this run judged: the
    versioned file's instances in its order (as this run saw them when it ran them), then any
    instance this run judged that the versioned file does not list. A row is kept when the
    state store says kept and its result.json holds the verdict.
    """
    ran_by_id = {instance.instance_id: instance for instance in ran}
    versioned = [TaskInstance.from_dict(row) for row in read_jsonl(workspace.versioned_file(repo))]
    listed = {instance.instance_id for instance in versioned}
    candidates = [ran_by_id.get(i.instance_id, i) for i in versioned]
    candidates += [instance for instance in ran if instance.instance_id not in listed]
    kept = []
    for instance in candidates:
        record = state.get(instance.instance_id, STAGE)
        result = read_result(workspace, instance.instance_id)
        if record is None or record.status != KEPT or result is None:
            continue
        verdict = Verdict(**{f.name: result[f.name] for f in dataclasses.fields(Verdict) if f.name in result})
        lists = {name: getattr(verdict, name) for name in LISTS}
        kept.append(dataclasses.replace(instance, **lists).to_dict())
    path = workspace.validated_file(repo)
    write_jsonl_atomically(path, kept)
    return path
