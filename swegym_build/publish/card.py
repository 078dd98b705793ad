"""The dataset card (`README.md`): the hub's YAML header, then what the data is and how to use it.

The header's `configs:` entry is what makes the hub and `datasets.load_dataset(folder)` see our
splits; it must name the same files the exporter writes, so both take the patterns from here.
The card holds no timestamps: the same export renders the same bytes, which keeps re-publishing a
no-op.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from swegym_build.publish.lite import LITE_RULES, MAX_HUNKS, MIN_WORDS
from swegym_build.publish.schema import COLUMNS

#: The published splits, in card order: every validated task, then the Lite subset.
SPLITS: tuple[str, ...] = ("train", "lite")


def split_glob(split: str) -> str:
    """The `data_files` pattern for a split, as the hub's Parquet layout names shards."""
    return f"data/{split}-*"


@dataclass(frozen=True)
class CardOptions:
    """What the card says that the rows cannot tell: names, licence, and how validation ran."""

    pretty_name: str = "SWE-Gym-style tasks built with swegym-build"
    # The rows carry code from many repositories under their own licences; "other" claims none.
    license: str = "other"
    repo_id: str = "<namespace>/<dataset>"
    gold_runs: tuple[int, ...] = (3,)  # the runs validate made, over the published rows
    tags: tuple[str, ...] = ("code", "software-engineering", "swe-bench", "swe-gym", "agents")


@dataclass(frozen=True)
class CardStats:
    """The counts the card reports, computed by the exporter."""

    split_counts: Mapping[str, int]
    repo_counts: Mapping[str, Mapping[str, int]]
    lite_exclusions: Mapping[str, int]
    rejections: Mapping[str, int] = field(default_factory=dict)


def render_card(stats: CardStats, options: CardOptions) -> str:
    """The full `README.md`: YAML header, then description, counts, schema and usage."""
    return "---\n" + _header(stats, options) + "---\n\n" + _body(stats, options)


def _size_category(rows: int) -> str:
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]
    return next((label for bound, label in bounds if rows < bound), "1M<n<10M")


def _header(stats: CardStats, options: CardOptions) -> str:
    metadata = {
        "license": options.license,
        "pretty_name": options.pretty_name,
        "task_categories": ["text-generation"],
        "language": ["en"],
        "tags": list(options.tags),
        "size_categories": [_size_category(stats.split_counts.get("train", 0))],
        "configs": [
            {
                "config_name": "default",
                "data_files": [
                    {"split": split, "path": split_glob(split)}
                    for split in SPLITS
                    if stats.split_counts.get(split)
                ],
            }
        ],
    }
    return yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)


def _table(headings: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headings) + " |", "|" + " --- |" * len(headings)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _by_count(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _body(stats: CardStats, options: CardOptions) -> str:
    train = stats.split_counts.get("train", 0)
    lite = stats.split_counts.get("lite", 0)
    repo_rows = [
        [f"`{repo}`", str(counts.get("train", 0)), str(counts.get("lite", 0))]
        for repo, counts in sorted(stats.repo_counts.items())
    ]
    rejection_rows = [[f"`{reason}`", str(count)] for reason, count in _by_count(stats.rejections)]
    lite_rows = [
        [f"`{reason}`", LITE_RULES.get(reason, ""), str(count)]
        for reason, count in _by_count(stats.lite_exclusions)
    ]
    schema_rows = [[f"`{c.name}`", c.card_type, c.description] for c in COLUMNS]
    parts = [
        f"# {options.pretty_name}\n",
        "Software-engineering tasks mined from real GitHub pull requests, in the SWE-bench format: "
        "each row is an issue, the repository at the commit the fix started from, the gold patch, "
        "the tests that check it, and a Docker image in which those tests run.\n",
        f"- `train`: {train} validated tasks (the whole set; the name follows the training-set "
        "convention).\n"
        f"- `lite`: {lite} of them that pass SWE-bench Lite's selection rules"
        + ("" if lite else " (an empty split has no files and is not declared above)")
        + ".\n",
        "## How it was built\n",
        "With the swegym-build pipeline: **mine** merged pull requests that resolve an issue and "
        "touch tests; **versions** read the package version at the base commit; **build** Docker "
        "images in three tiers (base, environment per version, instance); **validate** every task "
        f"by running the touched tests before and after the gold patch, {_times(options.gold_runs)}; "
        "a test is in `FAIL_TO_PASS` only if it failed before and passed after in every run, tests "
        "whose outcome changed between runs are recorded in `flaky_tests`, and a task is kept only "
        "if `FAIL_TO_PASS` is not empty; **publish** this card, the Parquet files and the images.\n",
        f"The `lite` split applies SWE-bench Lite's rules: a problem statement of more than "
        f"{MIN_WORDS} words without URLs, issue references, commit SHAs or images; a gold patch "
        f"that modifies one file in at most {MAX_HUNKS} hunks and creates or deletes none; and a "
        "test patch that does not check error messages.\n",
        "## Counts\n",
        "### Tasks per repository\n",
        _table(["repository", "train", "lite"], repo_rows),
        "### Candidates rejected during the build, by reason\n",
        _table(["reason", "count"], rejection_rows) if rejection_rows else "None recorded.\n",
        "### Tasks left out of `lite`, by rule\n",
        _table(["reason", "rule", "count"], lite_rows) if lite_rows else "None.\n",
        "## Schema\n",
        "Columns up to `eval_type` are SWE-bench 5's, with the same encodings, so SWE-bench's "
        "harness grades the rows unchanged. Lists of tests are JSON-encoded strings "
        "(decode them with `json.loads`); `FAIL_TO_PASS` and `PASS_TO_PASS` hold the ids the row's "
        "`log_parser` reads. A JSONL copy of each split is in `jsonl/`.\n",
        _table(["column", "type", "meaning"], schema_rows),
        "## Using a row\n",
        "```python\n"
        "import json\n"
        "from datasets import load_dataset\n\n"
        f'tasks = load_dataset("{options.repo_id}", split="train")  # or split="lite"\n'
        "row = tasks[0]\n"
        'fail_to_pass = json.loads(row["FAIL_TO_PASS"])\n'
        'recipe = json.loads(row["install_config"])\n'
        "```\n",
        "To grade predictions with SWE-bench's harness (`pip install swebench==5.0.2`), pull the rows' "
        "`image`s and run `python -m swebench.harness.run_evaluation --dataset_name "
        "jsonl/train.jsonl --predictions_path preds.jsonl --run_id my-run` in this folder "
        "(`--predictions_path gold` grades the gold patches). By hand: start a container from "
        "`image` (the repository is checked out at `base_commit` with its environment installed), "
        "apply the candidate patch in `/testbed` and run `eval_script` there as root; the task is "
        "resolved when every test in `FAIL_TO_PASS` and `PASS_TO_PASS` passes.\n",
    ]
    return "\n".join(parts)


def _times(runs: tuple[int, ...]) -> str:
    """(3,) -> "3 times"; (3, 5) -> "3 or 5 times" (rows validated by runs of different counts)."""
    counts = [str(n) for n in sorted(set(runs))] or ["?"]
    return (" or ".join(counts) if len(counts) <= 2 else ", ".join(counts[:-1]) + " or " + counts[-1]) + (
        " time" if counts == ["1"] else " times"
    )
