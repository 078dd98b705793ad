"""The build stage's verification of one (repository, version): the env image it may build on.

A shipped recipe is tried as it is and never changed: when it fails, the failure is reported
(and, with `suggest`, the first drafted candidate that would have verified). A drafted recipe is
tried candidate by candidate (`candidates`) within the limits; the winner is recorded in
`verified/OWNER__NAME.jsonl` and written into `spec-drafts/OWNER__NAME.yaml`, and every later
stage reads the instances with it (`swegym_build.handoff.read_versioned`).

A verification is remembered by its inputs (the candidates in order, the commits): a verified
one is not checked again while its env image exists, a drafted one that failed is not tried
again unless more attempts are allowed now than it made (`reverify` redoes both). A shipped
recipe that failed is tried again on every build, as any failed build is.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import docker

from swegym_build.cache import cache_dir
from swegym_build.containment import ContainerLimits
from swegym_build.dockerio import existing_image
from swegym_build.errors import BuildError, GitError, SpecError
from swegym_build.images.base_image import BaseImage, ensure_base_image
from swegym_build.images.tiers import (
    BuiltImage,
    EnvRecipe,
    InstanceRecipe,
    ensure_env_image,
    ensure_instance_image,
)
from swegym_build.pythons.provider import ProvidedPython, provide_python
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.records import TaskInstance, repo_slug
from swegym_build.specs import load_spec
from swegym_build.specs.drafting.snapshot import Snapshot
from swegym_build.verify.candidates import (
    AS_SHIPPED,
    Candidate,
    DraftFacts,
    candidate_digest,
    candidates,
    read_facts,
)
from swegym_build.verify.collection import CollectionCheck, check_collection, collection_paths
from swegym_build.verify.drafts import write_verified_drafts
from swegym_build.verify.loop import (
    FAILED,
    AttemptFailed,
    EnvVerification,
    Origin,
    VerifyLimits,
    no_remedy,
    verify_env,
)
from swegym_build.verify.records import read_verifications, write_verification
from swegym_build.verify.remedies import CURES_REVISION, remedies, unreachable_host
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

BASE_FAILED = "base_build_failed"
ENV_FAILED = "env_build_failed"
# the instance image at the environment commit, collected in, did not build
INSTANCE_FAILED = "instance_build_failed"
ENV_UNVERIFIED = "env_unverified"
# The longest a single env install run may take, whatever the budget left.
INSTALL_TIMEOUT = 3600.0
COLLECTION_TIMEOUT = 600.0


@dataclass(frozen=True)
class VerifyOptions:
    """`build`'s verification flags."""

    limits: VerifyLimits = field(default_factory=VerifyLimits)
    suggest: bool = False  # a shipped recipe that fails: try drafted candidates to report one
    reverify: bool = False  # judge again what an earlier build judged on the same inputs


@dataclass(frozen=True)
class BuiltEnv:
    recipe: EnvRecipe
    base: BaseImage
    image: BuiltImage


@dataclass
class VersionEnv:
    """What the build gets for one (repository, version): the env to build instances on, or why not."""

    verification: EnvVerification
    env: BuiltEnv | None
    reason: str = ""
    detail: str = ""
    envs_built: list[BuiltEnv] = field(default_factory=list)
    instances_built: set[str] = field(default_factory=set)  # member instance images built to collect in


def verify_version(
    client: docker.DockerClient,
    workspace: Workspace,
    repo: str,
    version: str,
    members: list[TaskInstance],
    tree_commit: str,
    downloads: PythonDownloads,
    options: VerifyOptions | None = None,
    notify: Callable[[str], None] = lambda _: None,
) -> VersionEnv:
    """Verify the recipe of (repo, version) for `members` (its instances) and record it."""
    options = options or VerifyOptions()
    config = dict(members[0].install_config or {})
    setup_commit = members[0].environment_setup_commit or ""
    mirror = workspace.mirror_dir(repo)
    previous = read_verifications(workspace, repo).get(version)
    if previous is not None and previous.recipe == config:
        config = previous.first_recipe  # the instances were read with the verified recipe
    origin = _origin(repo)
    facts = _facts(mirror, setup_commit, workspace, downloads) if origin == "drafted" else DraftFacts()
    tried = candidates(config, facts) if origin == "drafted" else [Candidate(AS_SHIPPED, config)]
    # the environment commit's files, listed once for the collected folders and the remedies
    tree = _LazyTree(mirror, setup_commit)
    paths = _collection_paths(repo, tree)
    cures = [f"cures {CURES_REVISION}"] if origin == "drafted" else []
    key = candidate_digest(tried, setup_commit, tree_commit, *paths, *cures)

    # the instance whose base is the environment commit: verification collects in its image
    newest = next((m.instance_id for m in members if m.base_commit == setup_commit), None)
    probe_id = newest or f"{repo_slug(repo)}-verify-{version}"
    builder = _Builder(client, workspace, repo, version, setup_commit, tree_commit, downloads, notify,
                       tree, probe_id, newest is not None, paths)  # fmt: skip
    if previous is not None and previous.inputs_key == key and not options.reverify:
        reused = _reuse(builder, previous, min(options.limits.max_attempts, len(tried)))
        if reused is not None:
            return reused
    notify(f"verifying the recipe of {repo} {version}")
    log_dir = workspace.log_dir("build", f"verify-{repo_slug(repo)}-{version}")
    remedy = _remedy(tree) if origin == "drafted" else no_remedy
    loop = verify_env(repo, version, origin, tried, builder.build, builder.collect, log_dir, options.limits,
                      remedy=remedy, unreachable=unreachable_host)  # fmt: skip
    verification = replace(loop.verification, inputs_key=key, image=loop.env.image.tag if loop.env else "")
    if origin == "shipped" and loop.env is None and options.suggest:
        verification = _suggest(builder, verification, config, mirror, workspace, downloads, options, log_dir)
    elif loop.env is None and previous is not None and previous.inputs_key == key:
        # the same recipe failed again: what would have verified still would
        verification = replace(verification, suggestion=previous.suggestion,
                               suggestions_tried=previous.suggestions_tried)  # fmt: skip
    write_verification(workspace, verification)
    if origin == "drafted":
        write_verified_drafts(workspace, repo)
    built = builder.probes_built
    outcome = VersionEnv(verification, loop.env, envs_built=loop.envs_built, instances_built=built)
    if loop.env is None:
        outcome.reason, outcome.detail = _failure(verification)
    return outcome


def _origin(repo: str) -> Origin:
    try:
        return "shipped" if load_spec(repo) is not None else "drafted"
    except SpecError:
        return "drafted"


def _facts(mirror: Path, commit: str, workspace: Workspace, downloads: PythonDownloads) -> DraftFacts:
    cache = cache_dir(workspace.root)
    try:
        return read_facts(
            mirror, commit, lambda v: isinstance(provide_python(v, cache, downloads), ProvidedPython)
        )
    except GitError as error:
        log.warning("no drafting facts at %s: %s", commit[:12], error)
        return DraftFacts()


def _collection_paths(repo: str, tree: _LazyTree) -> tuple[str, ...]:
    """The folders the verification collects, from the environment commit's test modules (by the
    spec's `test_file_patterns`, else the generic test rule)."""
    try:
        spec = load_spec(repo)
    except SpecError:
        spec = None
    return collection_paths(tree.files, tree.read, spec.test_file_patterns if spec else None)


def _remedy(tree: _LazyTree) -> Callable[[Candidate, str], list[Candidate]]:
    """The loop's failure-driven candidates, reading the files of the environment commit."""
    return lambda candidate, log: remedies(candidate, log, tree)


class _LazyTree:
    """The files at `commit`, read on the first remedy that needs them (none when unreadable)."""

    def __init__(self, mirror: Path, commit: str) -> None:
        self.mirror, self.commit = mirror, commit

    @cached_property
    def _snapshot(self) -> Snapshot | None:
        try:
            return Snapshot(self.mirror, self.commit)
        except GitError as error:
            log.warning("remedies read no files at %s: %s", self.commit[:12], error)
            return None

    @property
    def files(self) -> Collection[str]:
        return self._snapshot.files if self._snapshot else ()

    def read(self, path: str) -> str | None:
        try:
            return self._snapshot.read(path) if self._snapshot else None
        except GitError:
            return None


@dataclass
class _Builder:
    """The loop's build and collection functions for one (repository, version)."""

    client: docker.DockerClient
    workspace: Workspace
    repo: str
    version: str
    setup_commit: str
    tree_commit: str
    downloads: PythonDownloads
    notify: Callable[[str], None]
    tree: _LazyTree  # the environment commit's files
    probe_id: str  # the instance image collected in when /testbed holds an older tree
    probe_is_member: bool  # that image is an instance's of this run (else it is removed after)
    paths: tuple[str, ...] = ()  # the folders collected (`collection_paths`)
    probes_built: set[str] = field(default_factory=set)  # member instance images this run built

    def build(self, candidate: Candidate, log_file: Path, seconds_left: float) -> BuiltEnv:
        config = candidate.install_config
        self.notify(f"base image for Python {config.get('python')}")
        try:
            base = ensure_base_image(self.client, [str(config["python"])], self.workspace.root,
                                     self.notify, self.downloads)  # fmt: skip
        except (BuildError, KeyError) as error:
            raise AttemptFailed(BASE_FAILED, str(error)) from error
        recipe = EnvRecipe(
            self.repo, self.version, self.setup_commit, config, base, tree_commit=self.tree_commit
        )
        self.notify(f"env image {self.repo} {self.version} ({candidate.label})")

        def attempt(message: str) -> None:
            # a loop's attempts all install: the status line (and its heartbeat) says whose install
            self.notify(f"{message} ({_label_tail(candidate.label)})")

        try:
            image = ensure_env_image(self.client, recipe, self.workspace.mirror_dir(self.repo), log_file,
                                     attempt, timeout=min(INSTALL_TIMEOUT, seconds_left))  # fmt: skip
        except GitError as error:
            # the tree cannot be cut from the mirror (objects missing): every candidate needs it
            raise AttemptFailed(ENV_FAILED, str(error), final=True) from error
        except BuildError as error:
            raise AttemptFailed(ENV_FAILED, str(error)) from error
        return BuiltEnv(recipe, base, image)

    def collect(self, env: BuiltEnv, candidate: Candidate, log_file: Path) -> CollectionCheck:
        """Collection at the environment commit, in the image an instance there gets.

        When /testbed holds an older base, the env's project install resolved that tree's own
        requirements (hydra 1.4: omegaconf<2.4 in January 2024, >=2.4.0.dev2 by October). The
        instance tier installs the project again from the instance's tree, so collection runs in
        the instance image of the environment commit (the newest instance's own, reused by the
        build), not in the env image with the newer files copied over it.
        """
        if not env.recipe.separate_deps_tree:
            return self._collect_in(env.image.tag, candidate, log_file)
        recipe = InstanceRecipe(self.probe_id, self.setup_commit, env.recipe, env.image.image_id)
        self.notify(f"the image of {self.probe_id}, at the environment commit, to collect in")
        instance_log = log_file.with_name("instance.log")
        try:
            probe = ensure_instance_image(
                self.client, recipe, self.workspace.mirror_dir(self.repo), instance_log, INSTALL_TIMEOUT
            )
        except (BuildError, GitError) as error:
            text = instance_log.read_text(errors="replace") if instance_log.exists() else ""
            return CollectionCheck(INSTANCE_FAILED, 0, 0, None, f"{text}\n{error}")
        if probe.built and self.probe_is_member:
            self.probes_built.add(probe.tag)
        try:
            return self._collect_in(probe.tag, candidate, log_file)
        finally:
            if not self.probe_is_member:
                # no instance of the run will reuse it, and as a child it would keep `--keep none`
                # from removing the env image
                with contextlib.suppress(docker.errors.DockerException):
                    self.client.images.remove(probe.tag)

    def _collect_in(self, image: str, candidate: Candidate, log_file: Path) -> CollectionCheck:
        self.notify(
            f"collecting the tests of {self.repo} {self.version} in {image} ({_label_tail(candidate.label)})"
        )
        limits = ContainerLimits(timeout=COLLECTION_TIMEOUT)
        return check_collection(self.client, image, candidate.install_config, limits, log_file, self.paths)


def _label_tail(label: str, width: int = 70) -> str:
    """The end of an attempt's label: a chained one (`X; cure; cure`) differs from the last in its end."""
    return label if len(label) <= width else f"…{label[1 - width :]}"


def _reuse(builder: _Builder, previous: EnvVerification, allowed: int) -> VersionEnv | None:
    """An earlier verdict on the same candidates: a winner when its image is there, a failure
    when it tried at least as many candidates as are `allowed` now."""
    if previous.recipe is None:
        if previous.origin == "shipped" or len(previous.attempts) < allowed:
            return None  # retried, as any failed build is; or more attempts are allowed now
        reason, detail = _failure(previous)
        return VersionEnv(previous, None, reason, detail)
    if not previous.image or existing_image(builder.client, previous.image) is None:
        return None
    winner = previous.winner
    assert winner is not None
    built = builder.build(Candidate(winner.label, winner.recipe), Path("/dev/null"), INSTALL_TIMEOUT)
    if built.image.tag != previous.image:
        return None
    return VersionEnv(previous, built, envs_built=[built])


def _suggest(
    builder: _Builder,
    verification: EnvVerification,
    config: dict[str, Any],
    mirror: Path,
    workspace: Workspace,
    downloads: PythonDownloads,
    options: VerifyOptions,
    log_dir: Path,
) -> EnvVerification:
    """For a failed shipped recipe: the drafted candidates (the first is the shipped one, done)."""
    others = candidates(config, _facts(mirror, builder.setup_commit, workspace, downloads))[1:]
    loop = verify_env(builder.repo, builder.version, "shipped", others, builder.build, builder.collect,
                      log_dir / "suggest", options.limits, remedy=_remedy(builder.tree),
                      unreachable=unreachable_host)  # fmt: skip
    tried = loop.verification.attempts
    return replace(verification, suggestion=loop.verification.winner, suggestions_tried=len(tried))


def _failure(verification: EnvVerification) -> tuple[str, str]:
    """The reason and detail recorded for every instance of a version whose env did not verify."""
    attempts = verification.attempts
    assert verification.status == FAILED
    if verification.origin == "shipped" and attempts and attempts[-1].outcome in (BASE_FAILED, ENV_FAILED):
        return attempts[-1].outcome, _full_detail(attempts[-1].detail, verification)
    lines = [
        f"no recipe verified for {verification.repo} {verification.version} ({verification.origin}; "
        f"{len(attempts)} attempts, stopped: {verification.stopped})"
    ]
    lines += [
        f"  {n}. {a.label}: {a.outcome}: {first}" + ("" if a.log in first else f" (log: {a.log})")
        for n, a in enumerate(attempts, 1)
        for first in [a.detail.splitlines()[0] if a.detail else ""]
    ]
    if verification.suggestion is not None:
        lines.append(f"  would verify: {verification.suggestion.label} (log: {verification.suggestion.log})")
    return ENV_UNVERIFIED, "\n".join(lines)


def _full_detail(detail: str, verification: EnvVerification) -> str:
    if verification.suggestion is None:
        return detail
    return f"{detail}\nwould verify: {verification.suggestion.label} (log: {verification.suggestion.log})"
