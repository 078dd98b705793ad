"""The publish stage: the final and Lite splits as a Hugging Face dataset, and the task images.

Order of use: `push_images` (instance images -> registry), `with_image_names` (rows carry the
pushed references), `with_swebench_test_ids` (test lists in the ids SWE-bench's parser reads),
`export_dataset` (Parquet + JSONL + card in one folder; `write_task_repo` for SWE-bench's task-repo
form), then `plan_upload` (dry run) or `push_to_hub`. The public surface is re-exported here.
"""

from __future__ import annotations

from swegym_build.publish.card import SPLITS, CardOptions, CardStats, render_card
from swegym_build.publish.export import ExportSummary, export_dataset
from swegym_build.publish.hub import PlannedFile, PushResult, plan_upload, push_to_hub
from swegym_build.publish.images import image_name_for, push_images, with_image_names
from swegym_build.publish.lite import LITE_RULES, lite_verdict
from swegym_build.publish.schema import COLUMNS, to_row
from swegym_build.publish.swebench import (
    render_swebench_eval_script,
    swebench_log_parser,
    swebench_test_id,
    with_swebench_test_ids,
)
from swegym_build.publish.taskrepo import write_task_repo

__all__ = [
    "COLUMNS",
    "LITE_RULES",
    "SPLITS",
    "CardOptions",
    "CardStats",
    "ExportSummary",
    "PlannedFile",
    "PushResult",
    "export_dataset",
    "image_name_for",
    "lite_verdict",
    "plan_upload",
    "push_images",
    "push_to_hub",
    "render_card",
    "render_swebench_eval_script",
    "swebench_log_parser",
    "swebench_test_id",
    "to_row",
    "with_image_names",
    "with_swebench_test_ids",
    "write_task_repo",
]
