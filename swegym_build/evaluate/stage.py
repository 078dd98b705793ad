"""`swegym-build evaluate`: grade a predictions file against a dataset, SWE-bench's report shapes.

Predictions are SWE-bench's format (`instance_id`, `model_patch`, `model_name_or_path`; a JSON
list, a JSON object keyed by instance id, or JSONL). The dataset is a JSONL or Parquet file (or a
folder of Parquet files, as `publish` writes), or by default the workspace's validated tasks.
Each graded prediction gets `evaluation/<model>/<instance_id>/report.json` (SWE-bench's
per-instance shape); the run ends with `evaluation/<model>/summary.json` (resolved, unresolved,
empty-patch and error ids). A prediction already graded is not graded again (resumable).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swegym_build.containment import ContainerLimits
from swegym_build.errors import SwegymError
from swegym_build.evaluate.grade import (
    EMPTY_PATCH,
    RESOLVED,
    UNRESOLVED,
    Report,
    grade_instance,
    instance_from_row,
)
from swegym_build.executors import Executor, LocalExecutor
from swegym_build.handoff import read_built
from swegym_build.jsonl import read_jsonl
from swegym_build.records import TaskInstance
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradeJob:
    instance: TaskInstance
    image: str
    patch: str | None
    model: str
    runs: int
    limits: ContainerLimits


@dataclass
class EvaluateSummary:
    model: str
    folder: Path
    reports: dict[str, Report] = field(default_factory=dict)
    already_done: int = 0

    def ids(self, reason: str) -> list[str]:
        return sorted(i for i, r in self.reports.items() if r.reason == reason)


def load_predictions(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        data = json.loads(text)
        rows = list(data.values()) if isinstance(data, dict) else list(data)
    for row in rows:
        if "instance_id" not in row or "model_patch" not in row:
            raise SwegymError(f"{path}: a prediction needs instance_id and model_patch: {str(row)[:200]}")
    return rows


def load_dataset(workspace: Workspace, path: Path | None) -> list[dict[str, Any]]:
    """Rows from a JSONL / Parquet file or folder, or every validated file of the workspace."""
    if path is None:
        files = sorted((workspace.root / "validated").glob("*.jsonl"))
    elif path.is_dir():
        files = sorted(path.rglob("*.parquet")) or sorted(path.rglob("*.jsonl"))
    else:
        files = [path]
    rows: list[dict[str, Any]] = []
    for file in files:
        if file.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows += pq.read_table(file).to_pylist()
        else:
            rows += list(read_jsonl(file))
    return rows


def grade_job(job: GradeJob) -> Report:
    """The worker's half; never raises (a failure is that prediction's `error`)."""
    try:
        return grade_instance(
            job.instance, job.image, job.patch, model=job.model, runs=job.runs, limits=job.limits
        )
    except Exception as error:  # one prediction's failure must not end the others
        log.exception("%s: grading failed", job.instance.instance_id)
        return Report(
            job.instance.instance_id, job.model, reason="error", detail=f"{type(error).__name__}: {error}"
        )


def run_evaluate(
    workspace: Workspace,
    predictions: Path,
    dataset: Path | None = None,
    runs: int = 1,
    limits: ContainerLimits | None = None,
    executor: Executor | None = None,
    force: bool = False,
) -> EvaluateSummary:
    rows = {row["instance_id"]: row for row in load_dataset(workspace, dataset)}
    images = {instance_id: record.image for instance_id, record in read_built(workspace).items()}
    chosen = load_predictions(predictions)
    model = str(chosen[0].get("model_name_or_path") or "model") if chosen else "model"
    summary = EvaluateSummary(model, workspace.root / "evaluation" / model.replace("/", "__"))
    jobs = []
    for prediction in chosen:
        instance_id = prediction["instance_id"]
        report_file = summary.folder / instance_id / "report.json"
        if report_file.exists() and not force:
            summary.reports[instance_id] = Report(**json.loads(report_file.read_text())["swegym"])
            summary.already_done += 1
            continue
        row = rows.get(instance_id)
        if row is None:
            _write(summary, Report(instance_id, model, reason="error", detail="not in the dataset"))
            continue
        if not (row.get("image_name") or row.get("image")) and instance_id in images:
            row = {**row, "image_name": images[instance_id]}
        instance, image = instance_from_row(row)
        jobs.append(
            GradeJob(instance, image, prediction["model_patch"], model, runs, limits or ContainerLimits())
        )
    for _, report in (executor or LocalExecutor(1)).run(grade_job, jobs):
        _write(summary, report)
    totals = {
        "total_instances": len(rows),
        "submitted_instances": len(chosen),
        "completed_instances": len(
            [r for r in summary.reports.values() if r.reason in (RESOLVED, UNRESOLVED)]
        ),
        "resolved_instances": len(summary.ids(RESOLVED)),
        "unresolved_instances": len(summary.ids(UNRESOLVED)),
        "empty_patch_instances": len(summary.ids(EMPTY_PATCH)),
        "error_instances": len(_error_ids(summary)),
        "resolved_ids": summary.ids(RESOLVED),
        "unresolved_ids": summary.ids(UNRESOLVED),
        "empty_patch_ids": summary.ids(EMPTY_PATCH),
        "error_ids": _error_ids(summary),
        "tampered_ids": sorted(i for i, r in summary.reports.items() if r.tampered_tests),
    }
    summary.folder.mkdir(parents=True, exist_ok=True)
    (summary.folder / "summary.json").write_text(json.dumps(totals, indent=1))
    return summary


def _error_ids(summary: EvaluateSummary) -> list[str]:
    return sorted(
        i for i, r in summary.reports.items() if r.reason not in (RESOLVED, UNRESOLVED, EMPTY_PATCH)
    )


def _write(summary: EvaluateSummary, report: Report) -> None:
    summary.reports[report.instance_id] = report
    folder = summary.folder / report.instance_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(
        json.dumps({**report.to_swebench(), "swegym": report.to_dict()}, indent=1)
    )
