"""The build stage: base, env and instance images for every versioned instance.

Images are content-addressed, so the stage needs no bookkeeping to skip work: a second run finds
every tag already there and says so. What happened to each instance is still recorded: a built
image as a line of built/<repo>.jsonl, a failure in the state store with its reason; one failure
never stops the other builds.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import docker

from swegym_build.dockerio import engine_client, existing_image, push_local_tag
from swegym_build.driver import Outcome, Planned, Stage, StageReport, drive
from swegym_build.errors import BuildError, GitError
from swegym_build.executors import Executor, LocalExecutor
from swegym_build.handoff import append_built
from swegym_build.images.base_image import BaseImage, ensure_base_image
from swegym_build.images.tiers import (
    BuiltImage,
    EnvRecipe,
    InstanceRecipe,
    ensure_env_image,
    ensure_instance_image,
)
from swegym_build.interrupt import Interrupted, stop_on_signals, stopping
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.records import BuiltInstance, TaskInstance, parse_created_at
from swegym_build.state import KEPT, StateStore
from swegym_build.verify.build_env import VerifyOptions, VersionEnv, verify_version
from swegym_build.verify.loop import EnvVerification
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "build"
INSTANCE_FAILED = "instance_build_failed"

Notify = Callable[[str], None]
DEFAULT_WORKERS = 2  # instance images built at once when no executor is given


@dataclass
class BuildSummary:
    report: StageReport = field(default_factory=lambda: StageReport(STAGE))
    built: Counter[str] = field(default_factory=Counter)  # tier -> images built now
    reused: Counter[str] = field(default_factory=Counter)  # tier -> images that already existed
    env_images: dict[str, int] = field(default_factory=dict)  # tag -> bytes
    marginal_bytes: dict[str, int] = field(default_factory=dict)  # instance id -> its own layers' bytes
    verifications: list[EnvVerification] = field(default_factory=list)  # one per (repo, version)
    built_by_verification: set[str] = field(default_factory=set)  # instance tags built to collect in

    def count(self, tier: str, image: BaseImage | BuiltImage) -> None:
        (self.built if image.built else self.reused)[tier] += 1

    @property
    def outcomes(self) -> Counter[str]:
        return self.report.outcomes

    @property
    def seconds(self) -> float:
        return self.report.seconds

    @property
    def nothing_built(self) -> bool:
        return not sum(self.built.values())


def run_build(
    client: docker.DockerClient,
    workspace: Workspace,
    state: StateStore,
    instances: list[TaskInstance],
    *,
    executor: Executor | None = None,
    notify: Notify = lambda _: None,
    registry: str | None = None,
    downloads: PythonDownloads | None = None,
    verify: VerifyOptions | None = None,
) -> BuildSummary:
    """Env images per (repo, version) here, one after another; then the instance images on the
    executor. Both through the one driver; failures are recorded per instance, reported per cause.
    Raises `Interrupted` on Ctrl-C / SIGTERM, once the running containers are removed."""
    summary = BuildSummary()
    downloads = downloads or PythonDownloads.from_env()
    envs = EnvStage(client, workspace, instances, downloads, verify or VerifyOptions(), summary, notify)
    # Ctrl-C / SIGTERM removes the running install containers: the job in flight raises
    # `Interrupted` unrecorded (the next run does it again), what finished is recorded already
    with stop_on_signals(client):
        env_report = drive(envs, state, LocalExecutor(1), notify)
        stage = InstanceStage(workspace, envs, registry, summary)
        instance_report = drive(stage, state, executor or LocalExecutor(DEFAULT_WORKERS), notify)
    summary.report = env_report.merged(instance_report)
    return summary


@dataclass(frozen=True)
class EnvJob:
    """The recipe of one (repo, version) verified, with its base and env images; built on the
    driver's machine."""

    repo: str
    version: str
    members: tuple[TaskInstance, ...]
    workspace: Workspace
    downloads: PythonDownloads
    verify: VerifyOptions
    client: docker.DockerClient = field(compare=False)
    notify: Notify = field(compare=False)


def env_job(job: EnvJob) -> VersionEnv:
    """The recipe verified (a drafted one candidate by candidate, swegym_build.verify) before any
    instance image is built on it; never raises but for the interrupt."""
    if stopping():
        # a queued job the pool handed out before the interrupt's cancel reached it: it would
        # print its progress and bootstrap a base image before its first container refused it
        raise Interrupted(f"env {job.repo} {job.version}")
    members = list(job.members)
    return verify_version(job.client, job.workspace, job.repo, job.version, members, oldest_base(members),
                          job.downloads, job.verify, job.notify)  # fmt: skip


class EnvStage(Stage[EnvJob, VersionEnv]):
    """Jobs per (repo, version); a failed env is every member's outcome, with one cause."""

    name: str = STAGE
    done: tuple[str, ...] = (KEPT,)

    def __init__(
        self,
        client: docker.DockerClient,
        workspace: Workspace,
        instances: list[TaskInstance],
        downloads: PythonDownloads,
        verify: VerifyOptions,
        summary: BuildSummary,
        notify: Notify,
    ) -> None:
        self.client, self.workspace, self.downloads, self.verify = client, workspace, downloads, verify
        self.summary, self.notify = summary, notify
        self.groups: dict[tuple[str, str], list[TaskInstance]] = {}
        for instance in instances:
            self.groups.setdefault((instance.repo, instance.version or ""), []).append(instance)
        self.ready: dict[tuple[str, str], tuple[EnvRecipe, BuiltImage]] = {}

    def plan(self, state: StateStore) -> Iterator[Planned[EnvJob]]:
        for (repo, version), members in self.groups.items():
            job = EnvJob(repo, version, tuple(members), self.workspace, self.downloads, self.verify,
                         self.client, self.notify)  # fmt: skip
            yield Planned(job, f"env {repo} {version}")

    def worker(self) -> Callable[[EnvJob], VersionEnv]:
        return env_job

    def settle(self, job: EnvJob, outcome: VersionEnv) -> list[Outcome]:
        self.summary.verifications.append(outcome.verification)
        self.summary.built_by_verification |= outcome.instances_built
        for built in outcome.envs_built:
            self.summary.count("env", built.image)
        if outcome.envs_built:
            self.summary.count("base", (outcome.env or outcome.envs_built[-1]).base)
        if outcome.env is None:
            cause = f"{job.repo} {job.version}: {outcome.detail}"
            return [_failed(i, outcome.reason, outcome.detail, cause) for i in job.members]
        self.summary.env_images[outcome.env.image.tag] = outcome.env.image.size_bytes
        self.ready[(job.repo, job.version)] = (outcome.env.recipe, outcome.env.image)
        return []


def _failed(instance: TaskInstance, reason: str, detail: str, cause: str = "") -> Outcome:
    # A failed build says nothing about the task: the next run tries again.
    return Outcome(instance.instance_id, instance.repo, reason, detail, retry=True, cause=cause)


@dataclass(frozen=True)
class BuildJob:
    """One instance image to build (picklable: it may travel to a Ray node)."""

    instance: TaskInstance
    recipe: InstanceRecipe
    mirror: Path  # on a cluster, the workspace must be on a filesystem every node sees
    workdir: Path
    registry: str | None = None  # push the image there, for nodes that did not build it
    # where this node's uv may fetch CPython builds
    downloads: PythonDownloads = field(default_factory=PythonDownloads)


@dataclass(frozen=True)
class BuildOutcome:
    image: BuiltImage | None
    env_size: int
    detail: str
    log: bytes


def build_job(job: BuildJob) -> BuildOutcome:
    """The worker's half: the instance image on this node; never raises (a failure is a result)."""
    with tempfile.TemporaryDirectory(prefix="swegym-build-") as folder:
        log_file = Path(folder) / "build.log"
        log_file.touch()
        try:
            client = engine_client(check=False)
            recipe = _with_env_on_this_node(client, job, log_file)
            image = ensure_instance_image(client, recipe, job.mirror, log_file)
            env_size = int(client.images.get(recipe.env_image_id).attrs["Size"])
            failure = push_local_tag(client, image.tag, job.registry) if job.registry else ""
            if failure:
                return BuildOutcome(
                    None, 0, f"pushing {image.tag} to {job.registry} failed: {failure}", log_file.read_bytes()
                )
            return BuildOutcome(image, env_size, "", log_file.read_bytes())
        except (BuildError, GitError, docker.errors.DockerException) as error:
            return BuildOutcome(None, 0, str(error), log_file.read_bytes())


class InstanceStage(Stage[BuildJob, BuildOutcome]):
    """Jobs per instance over a ready env; a built image is a line of built/<repo>.jsonl."""

    name: str = STAGE
    done: tuple[str, ...] = (KEPT,)

    def __init__(
        self,
        workspace: Workspace,
        envs: EnvStage,
        registry: str | None,
        summary: BuildSummary,
    ) -> None:
        self.workspace, self.envs, self.registry, self.summary = workspace, envs, registry, summary

    def plan(self, state: StateStore) -> Iterator[Planned[BuildJob]]:
        for key, members in self.envs.groups.items():
            if key not in self.envs.ready:
                continue
            recipe, image = self.envs.ready[key]
            for instance in members:
                job = BuildJob(
                    instance,
                    InstanceRecipe(instance.instance_id, instance.base_commit, recipe, image.image_id),
                    self.workspace.mirror_dir(instance.repo),
                    self.workspace.root,
                    self.registry,
                    self.envs.downloads,
                )
                yield Planned(job, instance.instance_id)

    def worker(self) -> Callable[[BuildJob], BuildOutcome]:
        return build_job

    def settle(self, job: BuildJob, outcome: BuildOutcome) -> list[Outcome]:
        instance = job.instance
        log_file = self.workspace.log_dir(STAGE, instance.instance_id) / "build.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_bytes(outcome.log)
        if outcome.image is None:
            return [_failed(instance, INSTANCE_FAILED, outcome.detail)]
        image = outcome.image
        if image.tag in self.summary.built_by_verification:
            image = dataclasses.replace(image, built=True)  # built in this run, to verify its env
        self.summary.count("instance", image)
        marginal = image.size_bytes - outcome.env_size
        self.summary.marginal_bytes[instance.instance_id] = marginal
        record = BuiltInstance(instance.instance_id, instance.repo, image.tag, image.image_id,
                               job.recipe.env.tag, marginal, job.recipe.env.config.python)  # fmt: skip
        append_built(self.workspace, record)
        detail = f"{image.tag} ({'built' if image.built else 'reused'}, own layers {marginal / 1e6:.1f} MB)"
        return [Outcome(instance.instance_id, instance.repo, KEPT, detail, inputs_key=image.tag)]


def _with_env_on_this_node(client: docker.DockerClient, job: BuildJob, log_file: Path) -> InstanceRecipe:
    """The recipe, its env image built here first when this node lacks it (another Ray node)."""
    if existing_image(client, job.recipe.env_image_id) is not None:
        return job.recipe
    ensure_base_image(client, [job.recipe.env.config.python], job.workdir, downloads=job.downloads)
    env = ensure_env_image(client, job.recipe.env, job.mirror, log_file)
    return dataclasses.replace(job.recipe, env_image_id=env.image_id)


def oldest_base(members: Sequence[TaskInstance]) -> str:
    """The base commit of the version's oldest instance (by `created_at`, then pull number).

    The env image's tree: it is the past of every instance of the version, so no instance image
    holds a file from after its own base.
    """
    oldest = min(members, key=lambda i: (parse_created_at(i.created_at), i.pull_number))
    return oldest.base_commit
