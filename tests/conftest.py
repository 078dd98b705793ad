"""Shared fixtures: the sample world as real git repositories behind a fake GitHub on 127.0.0.1."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from swegym_build.executors import LocalExecutor
from swegym_build.handoff import read_versioned
from swegym_build.images.stage import run_build
from swegym_build.testing.fakegithub import FakeGitHub, World
from swegym_build.testing.fakegithub.sample import build_sample_world
from swegym_build.testing.registry import BINARY, INSTALL_HINT, LocalRegistry
from swegym_build.workspace import Workspace

SAMPLE_REPO = "swegym-demo/calculator"


@pytest.fixture(scope="session")
def pristine_sample_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_sample_world(tmp_path_factory.mktemp("sample-world"))


@pytest.fixture
def sample_world(pristine_sample_world: World, tmp_path: Path) -> World:
    """A private copy per test (repository included), so a test may add commits or PRs to it."""
    world = copy.deepcopy(pristine_sample_world)
    repo = world.get(SAMPLE_REPO)
    assert repo is not None
    copied = tmp_path / "world" / Path(repo.clone_url).name
    shutil.copytree(repo.clone_url, copied)
    repo.clone_url = str(copied)
    return world


@pytest.fixture
def fake_github(sample_world: World) -> Iterator[FakeGitHub]:
    with FakeGitHub(sample_world) as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.resolve(tmp_path / "ws")


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    client = docker.from_env(timeout=600)
    client.ping()
    return client


@pytest.fixture(scope="session")
def built_sample(
    pristine_sample_world: World, tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient
) -> Workspace:
    """The sample world mined, versioned and built once per session (images are content-addressed,
    so later sessions on the same engine reuse them)."""
    from swegym_build.state import StateStore
    from swegym_build.versions.stage import run_versions
    from tests.mine.helpers import run_mine

    workspace = Workspace.resolve(tmp_path_factory.mktemp("built-sample"))
    with FakeGitHub(pristine_sample_world) as server:
        run_mine(server, workspace)
    state = StateStore(workspace.state_db)
    run_versions(workspace, state)
    summary = run_build(
        docker_client, workspace, state, read_versioned(workspace, None, None), executor=LocalExecutor(2)
    )
    assert summary.outcomes == {"kept": 7}, summary.report.problems
    return workspace


VALIDATION_TIMEOUT = 25.0


@pytest.fixture(scope="session")
def validated_sample(built_sample: Workspace, docker_client: docker.DockerClient) -> Workspace:
    """The built sample validated once per session (3 runs a side; the hanging test stops at 25 s)."""
    from swegym_build.containment import ContainerLimits
    from swegym_build.state import StateStore
    from swegym_build.validate.stage import ValidateOptions, run_validate

    options = ValidateOptions(runs=3, limits=ContainerLimits(timeout=VALIDATION_TIMEOUT))
    summary = run_validate(
        built_sample,
        StateStore(built_sample.state_db),
        read_versioned(built_sample, None, None),
        options,
        LocalExecutor(2),
    )
    assert sum(summary.outcomes.values()) == 7
    return built_sample


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    """Debian's `docker-registry` on 127.0.0.1:<free port>, for the whole session.

    A missing binary fails the tests (never skips them): publishing images is not optional.
    """
    if shutil.which(BINARY) is None:
        pytest.fail(f"`{BINARY}` is not installed; {INSTALL_HINT}")
    with LocalRegistry(tmp_path_factory.mktemp("registry")) as running:
        yield running
