"""The build stage: base, env and instance images for every versioned instance.

Images are content-addressed, so the stage needs no bookkeeping to skip work: a second run finds
every tag already there and says so. What happened to each instance is still recorded in the
state store (the image tag, or why it failed), and one failure never stops the other builds.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker

from swegym_build.dockerio import engine_client, push_local_tag
from swegym_build.errors import BuildError, GitError
from swegym_build.executors import Executor, LocalExecutor
from swegym_build.images.base_image import BaseImage, ensure_base_image
from swegym_build.images.engine import existing_image
from swegym_build.images.tiers import (
    BuiltImage,
    EnvRecipe,
    InstanceRecipe,
    ensure_env_image,
    ensure_instance_image,
)
from swegym_build.images.uv_python import PythonDownloads
from swegym_build.jsonl import read_jsonl
from swegym_build.records import TaskInstance
from swegym_build.state import FAILED, KEPT, StateStore
from swegym_build.verify.build_env import VerifyOptions, verify_version, with_verified_recipes
from swegym_build.verify.loop import EnvVerification
from swegym_build.versions.setup_commits import parse_created_at
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "build"
BASE_FAILED = "base_build_failed"
ENV_FAILED = "env_build_failed"
INSTANCE_FAILED = "instance_build_failed"

Notify = Callable[[str], None]


@dataclass
class BuildSummary:
    outcomes: Counter[str] = field(default_factory=Counter)
    built: Counter[str] = field(default_factory=Counter)  # tier -> images built now
    reused: Counter[str] = field(default_factory=Counter)  # tier -> images that already existed
    env_images: dict[str, int] = field(default_factory=dict)  # tag -> bytes
    marginal_bytes: dict[str, int] = field(default_factory=dict)  # instance id -> its own layers' bytes
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (instance, reason, detail)
    verifications: list[EnvVerification] = field(default_factory=list)  # issue 13: one per (repo, version)
    seconds: float = 0.0

    def count(self, tier: str, image: BaseImage | BuiltImage) -> None:
        (self.built if image.built else self.reused)[tier] += 1

    @property
    def nothing_built(self) -> bool:
        return not sum(self.built.values())


def load_versioned(
    workspace: Workspace, repos: list[str] | None, ids: list[str] | None
) -> list[TaskInstance]:
    instances = []
    for repo in repos or workspace.raw_repos():
        for row in read_jsonl(workspace.versioned_file(repo)):
            if not ids or row["instance_id"] in ids:
                instances.append(TaskInstance.from_dict(row))
    return with_verified_recipes(workspace, instances)  # issue 13 hook: drafted recipes as verified


def run_build(
    client: docker.DockerClient,
    workspace: Workspace,
    state: StateStore,
    instances: list[TaskInstance],
    workers: int = 2,
    notify: Notify = lambda _: None,
    executor: Executor | None = None,
    registry: str | None = None,
    downloads: PythonDownloads | None = None,
    verify: VerifyOptions | None = None,  # issue 13 hook
) -> BuildSummary:
    started = time.monotonic()
    summary = BuildSummary()
    downloads = downloads or PythonDownloads.from_env()
    groups: dict[tuple[str, str], list[TaskInstance]] = {}
    for instance in instances:
        groups.setdefault((instance.repo, instance.version or ""), []).append(instance)

    jobs: list[BuildJob] = []
    for (repo, version), members in groups.items():
        env = _ensure_env(
            client, workspace, state, repo, version, members, summary, notify, downloads, verify
        )
        if env is not None:
            recipe, image = env
            jobs += [
                BuildJob(
                    i,
                    InstanceRecipe(i.instance_id, i.base_commit, recipe, image.image_id),
                    workspace.mirror_dir(repo),
                    workspace.root,
                    registry,
                    downloads,
                )
                for i in members
            ]
    notify(f"building {len(jobs)} instance images")
    for job, outcome in (executor or LocalExecutor(workers)).run(build_job, jobs):
        instance = job.instance
        log_file = workspace.log_dir(STAGE, instance.instance_id) / "build.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_bytes(outcome.log)
        if outcome.image is None:
            _fail(state, instance, INSTANCE_FAILED, outcome.detail, summary)
            continue
        image = outcome.image
        summary.count("instance", image)
        summary.marginal_bytes[instance.instance_id] = image.size_bytes - outcome.env_size
        detail = {
            "image": image.tag,
            "image_id": image.image_id,
            "env_image": job.recipe.env.tag,
            "marginal_bytes": image.size_bytes - outcome.env_size,
            "built": image.built,
        }
        state.record(
            instance_id=instance.instance_id,
            stage=STAGE,
            repo=instance.repo,
            status=KEPT,
            detail=json.dumps(detail),
            inputs_key=image.tag,
        )
        summary.outcomes[KEPT] += 1
        notify(f"instance image {instance.instance_id}")
    summary.seconds = time.monotonic() - started
    return summary


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


def _with_env_on_this_node(client: docker.DockerClient, job: BuildJob, log_file: Path) -> InstanceRecipe:
    """The recipe, its env image built here first when this node lacks it (another Ray node)."""
    if existing_image(client, job.recipe.env_image_id) is not None:
        return job.recipe
    config = job.recipe.env.install_config
    ensure_base_image(client, [str(config["python"])], job.workdir, downloads=job.downloads)
    env = ensure_env_image(client, job.recipe.env, job.mirror, log_file)
    return dataclasses.replace(job.recipe, env_image_id=env.image_id)


def _ensure_env(
    client: docker.DockerClient,
    workspace: Workspace,
    state: StateStore,
    repo: str,
    version: str,
    members: list[TaskInstance],
    summary: BuildSummary,
    notify: Notify,
    downloads: PythonDownloads,
    verify: VerifyOptions | None = None,
) -> tuple[EnvRecipe, BuiltImage] | None:
    # issue 13 hook: the recipe is verified (drafted candidates tried) before any instance image
    outcome = verify_version(client, workspace, repo, version, members, oldest_base(members), downloads,
                             verify, notify)  # fmt: skip
    summary.verifications.append(outcome.verification)
    for built in outcome.envs_built:
        summary.count("env", built.image)
    if outcome.envs_built:
        summary.count("base", (outcome.env or outcome.envs_built[-1]).base)
    if outcome.env is None:
        for instance in members:
            _fail(state, instance, outcome.reason, outcome.detail, summary)
        return None
    summary.env_images[outcome.env.image.tag] = outcome.env.image.size_bytes
    return outcome.env.recipe, outcome.env.image


def oldest_base(members: list[TaskInstance]) -> str:
    """The base commit of the version's oldest instance (by `created_at`, then pull number).

    The env image's tree: it is the past of every instance of the version, so no instance image
    holds a file from after its own base.
    """
    oldest = min(members, key=lambda i: (parse_created_at(i.created_at), i.pull_number))
    return oldest.base_commit


def _fail(state: StateStore, instance: TaskInstance, reason: str, detail: str, summary: BuildSummary) -> None:
    log.warning("%s: %s", instance.instance_id, detail.splitlines()[0])
    state.record(instance_id=instance.instance_id, stage=STAGE, repo=instance.repo, status=FAILED,
                 reason=reason, detail=detail)  # fmt: skip
    summary.outcomes[reason] += 1
    summary.failures.append((instance.instance_id, reason, detail))
