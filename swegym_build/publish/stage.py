"""The publish stage: validated instances -> tagged (and pushed) images -> dataset folder -> hub.

It runs through the driver like every stage, as one job: a dataset is written and pushed whole
(the card counts every row, the hub gets one commit). `plan` gathers what the earlier stages
handed over (validated rows, built images, validation results) and refuses, naming the instance,
when any is missing; the worker tags or pushes the images, exports the folder and pushes it;
`settle` writes published/<dataset>.jsonl and one `publish` row per task. With `dry_run`, images
are tagged locally under their final names (so every row names an image that exists) and the
folder is written, but nothing is pushed: the upload plan is returned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from swegym_build.dockerio import engine_client
from swegym_build.driver import Notify, Outcome, Planned, Stage, StageReport, drive
from swegym_build.errors import PublishError
from swegym_build.executors import LocalExecutor
from swegym_build.handoff import read_built, read_result, read_validated
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.publish.card import CardOptions
from swegym_build.publish.export import ExportSummary, export_dataset
from swegym_build.publish.hub import PlannedFile, PushResult, plan_upload, push_to_hub
from swegym_build.publish.images import DEFAULT_SEPARATOR, push_images, tag_images, with_image_names
from swegym_build.publish.swebench import with_swebench_test_ids
from swegym_build.publish.taskrepo import write_task_repo
from swegym_build.records import PublishedInstance, TaskInstance, ValidationResult, repo_slug
from swegym_build.state import FAILED, KEPT, REJECTED, StateStore
from swegym_build.workspace import Workspace

STAGE = "publish"


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
class PublishJob:
    """The whole dataset, with everything the worker needs (picklable)."""

    instances: list[TaskInstance]
    images: list[tuple[str, str]]  # (built image tag, instance id)
    gold_logs: dict[str, list[str]]  # instance id -> validation's logs after the gold patch
    card: CardOptions
    rejections: dict[str, int]
    folder: Path
    options: PublishOptions


@dataclass(frozen=True)
class PublishResult:
    export: ExportSummary
    image_names: dict[str, str]  # instance id -> the name its row gives its image
    planned: list[PlannedFile] | None
    pushed: PushResult | None


@dataclass
class PublishSummary:
    export: ExportSummary
    image_names: dict[str, str]
    planned: list[PlannedFile] | None
    pushed: PushResult | None
    task_repo: Path | None = None
    file: Path | None = None  # published/<dataset>.jsonl
    report: StageReport = field(default_factory=lambda: StageReport(STAGE))


def gold_logs(result: ValidationResult) -> list[str]:
    """Validation's test logs after the gold patch, one per run (SWE-bench's ids are read from them)."""
    runs = Path(result.logs)
    return [log.read_text(errors="replace") for log in sorted(runs.glob("run-*/after.log"))]


def rejection_counts(state: StateStore) -> Counter[str]:
    """`stage: reason` -> how many candidates that stage dropped for it, for the dataset card."""
    return Counter(f"{r.stage}: {r.reason}" for r in state.records() if r.status in (REJECTED, FAILED))


def publish_dataset(job: PublishJob) -> PublishResult:
    """The worker: images tagged or pushed, the folder exported (and pushed unless a dry run)."""
    options = job.options
    name = push_images if not options.dry_run else tag_images
    image_names = name(engine_client(), job.images, options.namespace, options.registry, options.separator)
    rows = with_swebench_test_ids(with_image_names(job.instances, image_names), job.gold_logs)
    export = export_dataset(
        rows, job.folder, rejections=job.rejections, options=job.card, lite_split=options.lite
    )
    if options.task_repo is not None:
        write_task_repo(rows, options.task_repo, options.repo_id, lite_split=options.lite)
    if options.dry_run:
        return PublishResult(export, image_names, plan_upload(job.folder), None)
    pushed = push_to_hub(job.folder, options.repo_id, None, options.private, endpoint=options.hub_url)
    return PublishResult(export, image_names, None, pushed)


class PublishStage(Stage[PublishJob, PublishResult]):
    name: str = STAGE
    done: tuple[str, ...] = ()  # never skipped: publishing unchanged data is a no-op at the hub

    def __init__(self, workspace: Workspace, options: PublishOptions, repos: list[str] | None) -> None:
        self.workspace, self.options, self.repos = workspace, options, repos
        self.summary: PublishSummary | None = None

    def plan(self, state: StateStore) -> Iterator[Planned[PublishJob]]:
        instances = read_validated(self.workspace, self.repos)
        if not instances:
            where = self.workspace.root
            raise PublishError(f"nothing validated in {where}: run `swegym-build validate` first")
        ids = [i.instance_id for i in instances]
        built = read_built(self.workspace, self.repos)
        results = {i: r for i in ids if (r := read_result(self.workspace, i)) is not None}
        for instance_id in ids:
            if instance_id not in built:
                raise PublishError(
                    f"{instance_id}: validated but its image is not recorded; run `swegym-build build`"
                )
            if instance_id not in results:
                raise PublishError(
                    f"{instance_id}: validated but its result.json is missing; run `swegym-build validate`"
                )
        yield Planned(
            PublishJob(
                instances=instances,
                images=[(built[i].image, i) for i in ids],
                gold_logs={i: gold_logs(results[i]) for i in ids},
                card=CardOptions(
                    repo_id=self.options.repo_id,
                    gold_runs=tuple(sorted({results[i].runs_requested for i in ids})),
                ),
                rejections=dict(rejection_counts(state)),
                folder=self.workspace.out_dir / repo_slug(self.options.repo_id),
                options=self.options,
            ),
            label=self.options.repo_id,
        )

    def worker(self) -> Callable[[PublishJob], PublishResult]:
        return publish_dataset

    def settle(self, job: PublishJob, result: PublishResult) -> list[Outcome]:
        members = result.export.members
        published = [
            PublishedInstance(
                instance_id=instance.instance_id,
                repo=instance.repo,
                dataset=self.options.repo_id,
                image=result.image_names[instance.instance_id],
                splits=[split for split, ids in members.items() if instance.instance_id in ids],
                folder=str(job.folder),
                commit_url=result.pushed.commit_url if result.pushed else None,
            )
            for instance in job.instances
        ]
        file = self.workspace.published_file(self.options.repo_id)
        write_jsonl_atomically(file, (record.to_dict() for record in published))
        self.summary = PublishSummary(
            result.export, result.image_names, result.planned, result.pushed, self.options.task_repo, file
        )
        return [Outcome(record.instance_id, record.repo, KEPT, detail=record.image) for record in published]


def run_publish(
    workspace: Workspace,
    state: StateStore,
    options: PublishOptions,
    repos: list[str] | None = None,
    notify: Notify = lambda _: None,
) -> PublishSummary:
    stage = PublishStage(workspace, options, repos)
    report = drive(stage, state, LocalExecutor(1), notify)
    if stage.summary is None:  # plan raises unless it planned the one job, so never
        raise PublishError(f"{options.repo_id}: the publish job ended without a result")
    stage.summary.report = report
    return stage.summary
