"""The publish stage: validated instances -> tagged (and pushed) images -> dataset folder -> hub.

With `dry_run`, images are tagged locally under their final names (so every row names an image
that exists) and the folder is written, but nothing is pushed: the upload plan is returned.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import docker

from swegym_build.errors import PublishError
from swegym_build.handoff import read_built, read_result, read_validated
from swegym_build.publish.card import CardOptions
from swegym_build.publish.export import ExportSummary, export_dataset
from swegym_build.publish.hub import PlannedFile, PushResult, plan_upload, push_to_hub
from swegym_build.publish.images import DEFAULT_SEPARATOR, push_images, tag_images, with_image_names
from swegym_build.publish.swebench import with_swebench_test_ids
from swegym_build.publish.taskrepo import write_task_repo
from swegym_build.records import ValidationResult, repo_slug
from swegym_build.state import FAILED, REJECTED, StateStore
from swegym_build.workspace import Workspace


@dataclass(frozen=True)
class PublishOptions:
    repo_id: str
    namespace: str = "swegym"
    registry: str | None = None
    separator: str = DEFAULT_SEPARATOR
    private: bool = False
    lite: bool = True
    dry_run: bool = False
    hub_url: str | None = None
    task_repo: Path | None = None  # also write the dataset as a SWE-bench task repo here


@dataclass(frozen=True)
class PublishSummary:
    export: ExportSummary
    image_names: dict[str, str]
    planned: list[PlannedFile] | None
    pushed: PushResult | None
    task_repo: Path | None = None


def gold_logs(result: ValidationResult) -> list[str]:
    """Validation's test logs after the gold patch, one per run (SWE-bench's ids are read from them)."""
    runs = Path(result.logs)
    return [log.read_text(errors="replace") for log in sorted(runs.glob("run-*/after.log"))]


def rejection_counts(state: StateStore) -> Counter[str]:
    """`stage: reason` -> how many candidates that stage dropped for it, for the dataset card."""
    return Counter(f"{r.stage}: {r.reason}" for r in state.records() if r.status in (REJECTED, FAILED))


def run_publish(
    client: docker.DockerClient,
    workspace: Workspace,
    state: StateStore,
    options: PublishOptions,
    repos: list[str] | None = None,
) -> PublishSummary:
    instances = read_validated(workspace, repos)
    if not instances:
        raise PublishError(f"nothing validated in {workspace.root}: run `swegym-build validate` first")
    ids = [i.instance_id for i in instances]
    built = read_built(workspace, repos)
    results = {i: r for i in ids if (r := read_result(workspace, i)) is not None}
    for instance_id in ids:
        if instance_id not in built:
            raise PublishError(
                f"{instance_id}: validated but its image is not recorded; run `swegym-build build`"
            )
        if instance_id not in results:
            raise PublishError(
                f"{instance_id}: validated but its result.json is missing; run `swegym-build validate`"
            )
    pairs = [(built[i].image, i) for i in ids]
    name = push_images if not options.dry_run else tag_images
    image_names = name(client, pairs, options.namespace, options.registry, options.separator)
    runs = sorted({results[i].runs_requested for i in ids})
    card = CardOptions(repo_id=options.repo_id, gold_runs=tuple(runs))
    folder = workspace.out_dir / repo_slug(options.repo_id)
    logs = {i: gold_logs(results[i]) for i in ids}
    rows = with_swebench_test_ids(with_image_names(instances, image_names), logs)
    rejections = rejection_counts(state)
    export = export_dataset(rows, folder, rejections=rejections, options=card, lite_split=options.lite)
    if options.task_repo is not None:
        write_task_repo(rows, options.task_repo, options.repo_id, lite_split=options.lite)
    if options.dry_run:
        return PublishSummary(export, image_names, plan_upload(folder), None, options.task_repo)
    pushed = push_to_hub(folder, options.repo_id, None, options.private, endpoint=options.hub_url)
    return PublishSummary(export, image_names, None, pushed, options.task_repo)
