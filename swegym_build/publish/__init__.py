"""The publish stage: the final and Lite splits as a Hugging Face dataset, and the task images.

Order of use: `push_images` (instance images -> registry), `with_image_names` (rows carry the
pushed references), `export_dataset` (Parquet + JSONL + card in one folder), then `plan_upload`
(dry run) or `push_to_hub`. The public surface is re-exported here.
"""

from __future__ import annotations

from swegym_build.publish.card import SPLITS, CardOptions, CardStats, render_card
from swegym_build.publish.export import ExportSummary, export_dataset
from swegym_build.publish.hub import PlannedFile, PushResult, plan_upload, push_to_hub
from swegym_build.publish.images import image_name_for, push_images, with_image_names
from swegym_build.publish.lite import LITE_RULES, lite_verdict
from swegym_build.publish.schema import COLUMNS, to_row

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
    "to_row",
    "with_image_names",
]
