"""Write the final dataset folder: Parquet splits, a JSONL copy and the dataset card.

Layout (what the hub's Parquet auto-config and `datasets.load_dataset(folder)` read, declared in
the card's `configs:` header so the `lite` split name is not left to guessing):

    README.md
    data/train-00000-of-00001.parquet     every validated task
    data/lite-00000-of-00001.parquet      the SWE-bench-Lite-rules subset (absent when empty)
    jsonl/train.jsonl, jsonl/lite.jsonl   the same rows, one JSON object a line

The output is a pure function of the input: rows sorted by `instance_id`, no timestamps, JSON with
sorted keys where order is free, a fixed Parquet writer configuration. Re-exporting the same tasks
gives byte-identical files, so re-publishing them uploads nothing.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from swegym_build.errors import PublishError
from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.publish.card import SPLITS, CardOptions, CardStats, render_card
from swegym_build.publish.lite import lite_verdict
from swegym_build.publish.schema import ARROW_SCHEMA, to_row
from swegym_build.records import TaskInstance

logger = logging.getLogger(__name__)

DEFAULT_ROWS_PER_SHARD = 5_000


@dataclass(frozen=True)
class ExportSummary:
    """What was written: the files (relative to `folder`) and the counts the card reports."""

    folder: Path
    files: tuple[str, ...]
    stats: CardStats
    members: dict[str, tuple[str, ...]]  # split -> the instance ids it holds


def export_dataset(
    instances: Iterable[TaskInstance],
    folder: Path,
    *,
    rejections: Mapping[str, int] | None = None,
    options: CardOptions | None = None,
    rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
    lite_split: bool = True,
) -> ExportSummary:
    """Write the `train` and (unless `lite_split` is false) `lite` splits of `instances` into `folder`.

    `rejections` counts the candidates dropped earlier in the pipeline by reason (a `Counter`
    works); it only feeds the card. Every instance must be validated (non-empty `FAIL_TO_PASS`)
    and carry the `image_name` its image was pushed under. Split files left by an earlier export
    that this one does not write are removed, so the folder always matches its card.
    """
    tasks = _checked(instances)
    lite: list[TaskInstance] = []
    lite_exclusions: Counter[str] = Counter()
    for task in tasks if lite_split else []:
        included, reason = lite_verdict(task)
        if included:
            lite.append(task)
        else:
            lite_exclusions[reason] += 1
    splits = {"train": tasks, "lite": lite}

    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    # `datasets` refuses to load a split without rows, so an empty split gets no files and the
    # card does not declare it.
    for split in (s for s in SPLITS if splits[s]):
        written += _write_parquet_shards(folder, split, splits[split], rows_per_shard)
        jsonl = f"jsonl/{split}.jsonl"
        write_jsonl_atomically(folder / jsonl, (to_row(task) for task in splits[split]))
        written.append(jsonl)
    _remove_stale(folder, set(written))

    repo_counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        for task in splits[split]:
            per_split = repo_counts.setdefault(task.repo, dict.fromkeys(SPLITS, 0))
            per_split[split] += 1
    stats = CardStats(
        split_counts={split: len(splits[split]) for split in SPLITS},
        repo_counts=repo_counts,
        lite_exclusions=dict(lite_exclusions),
        rejections=dict(rejections or {}),
    )
    _write_atomically(folder / "README.md", render_card(stats, options or CardOptions()).encode())
    written.append("README.md")
    logger.info("exported %d tasks (%d in lite) to %s", len(tasks), len(lite), folder)
    members = {split: tuple(task.instance_id for task in splits[split]) for split in SPLITS}
    return ExportSummary(folder=folder, files=tuple(sorted(written)), stats=stats, members=members)


def _checked(instances: Iterable[TaskInstance]) -> list[TaskInstance]:
    tasks = sorted(instances, key=lambda task: task.instance_id)
    if not tasks:
        raise PublishError("no validated tasks to export; run the validate stage first")
    seen: set[str] = set()
    for task in tasks:
        if task.instance_id in seen:
            raise PublishError(f"{task.instance_id}: appears twice in the export input; dedupe it first")
        seen.add(task.instance_id)
        if not task.FAIL_TO_PASS:
            raise PublishError(f"{task.instance_id}: has no FAIL_TO_PASS tests; only validated tasks publish")
        if not task.image_name:
            raise PublishError(
                f"{task.instance_id}: has no image_name; push the images (push_images) before exporting"
            )
    return tasks


def _write_parquet_shards(
    folder: Path, split: str, tasks: list[TaskInstance], rows_per_shard: int
) -> list[str]:
    shards = math.ceil(len(tasks) / rows_per_shard)
    names = []
    for index in range(shards):
        chunk = tasks[index * rows_per_shard : (index + 1) * rows_per_shard]
        table = pa.Table.from_pylist([to_row(task) for task in chunk], schema=ARROW_SCHEMA)
        name = f"data/{split}-{index:05d}-of-{shards:05d}.parquet"
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        pq.write_table(table, partial, compression="zstd")
        os.replace(partial, target)
        names.append(name)
    return names


def _remove_stale(folder: Path, keep: set[str]) -> None:
    for pattern in ("data/*.parquet", "jsonl/*.jsonl"):
        for path in folder.glob(pattern):
            if path.relative_to(folder).as_posix() not in keep:
                logger.info("removing stale %s", path)
                path.unlink()


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)
