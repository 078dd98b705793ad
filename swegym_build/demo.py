"""`swegym-build demo`: the whole pipeline, offline, on the bundled sample world.

The sample world (data/sample/world.yaml) is built as a real git repository, served by the fake
GitHub on 127.0.0.1, and every stage runs on it through the same code a real repository goes
through: mine -> versions -> build (the real Docker engine) -> validate -> publish (dry run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from swegym_build.commands.build import run_build_stage
from swegym_build.commands.mine import limits_for, run_mine
from swegym_build.commands.publish import run_publish_stage
from swegym_build.commands.validate import run_validate_stage
from swegym_build.commands.versions import run_versions_stage
from swegym_build.containment import ContainerLimits
from swegym_build.executors import LocalExecutor
from swegym_build.jsonl import read_jsonl
from swegym_build.mine.decide import DiffLimits
from swegym_build.mine.miner import MineOptions
from swegym_build.publish.stage import PublishOptions
from swegym_build.testing.fakegithub import FakeGitHub
from swegym_build.testing.fakegithub.sample import build_sample_world
from swegym_build.validate.stage import ValidateOptions
from swegym_build.workspace import Workspace

SAMPLE_REPO = "swegym-demo/calculator"
DEMO_DATASET = "swegym-demo/calculator-tasks"
# The sample's one hanging test is stopped here; its other tests take well under a second.
DEMO_TIMEOUT = 60.0


@dataclass(frozen=True)
class DemoResult:
    candidates: int
    versioned: int
    built: int
    validated: int
    dataset: Path
    splits: dict[str, int]


def mine_sample(workspace: Workspace) -> None:
    """The sample world built under the workspace, served on 127.0.0.1, and mined as a user would."""
    world = build_sample_world(workspace.root / "sample-world")
    with FakeGitHub(world) as fake:
        options = MineOptions(repo=SAMPLE_REPO, limits=limits_for(SAMPLE_REPO, DiffLimits()))
        run_mine(workspace, fake.url, None, options)


def run_demo(workspace: Workspace, workers: int = 2) -> DemoResult:
    mine_sample(workspace)
    versioned = run_versions_stage(workspace, [SAMPLE_REPO])
    executor = LocalExecutor(workers)
    built = run_build_stage(workspace, [SAMPLE_REPO], executor=executor)
    validate_options = ValidateOptions(runs=3, limits=ContainerLimits(timeout=DEMO_TIMEOUT))
    run_validate_stage(workspace, validate_options, [SAMPLE_REPO], executor=executor)
    published = run_publish_stage(
        workspace, PublishOptions(repo_id=DEMO_DATASET, dry_run=True), [SAMPLE_REPO]
    )
    return DemoResult(
        candidates=sum(1 for _ in read_jsonl(workspace.raw_file(SAMPLE_REPO))),
        versioned=versioned.outcomes["kept"],
        built=built.outcomes["kept"],
        validated=sum(1 for _ in read_jsonl(workspace.validated_file(SAMPLE_REPO))),
        dataset=published.export.folder,
        splits=dict(published.export.stats.split_counts),
    )
