"""The published row: one column list shared by the Parquet writer, the JSONL copy and the card.

The first twelve columns are SWE-bench's, in its order and with its encodings (test lists as
JSON-encoded strings), then SWE-bench 5's four grading columns (`image`, `eval_script`,
`log_parser`, `eval_type`), so SWE-bench's harness grades our rows unchanged. Every list of
test ids is encoded the same way, ours included, so one decoder serves them all; the only native
list is `issue_numbers`, which is not a test list.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from swegym_build.publish.swebench import EVAL_TYPE, render_swebench_eval_script, swebench_log_parser
from swegym_build.records import TaskInstance


@dataclass(frozen=True)
class Column:
    """One published column: its Arrow type, how the card names that type, its meaning and value."""

    name: str
    arrow_type: pa.DataType
    card_type: str
    description: str
    value: Callable[[TaskInstance], Any]


def _json_list(values: list[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _json_object(value: dict[str, Any] | None) -> str | None:
    # Sorted keys: the same recipe must encode to the same bytes on every publish.
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


_STR = pa.string()

COLUMNS: tuple[Column, ...] = (
    Column("repo", _STR, "string", "GitHub repository, `owner/name`.", lambda i: i.repo),
    Column(
        "instance_id",
        _STR,
        "string",
        "Unique id, `owner__name-<PR number>` (SWE-bench's convention).",
        lambda i: i.instance_id,
    ),
    Column(
        "base_commit",
        _STR,
        "string",
        "Commit the pull request starts from; the image has the repository checked out here.",
        lambda i: i.base_commit,
    ),
    Column(
        "patch", _STR, "string", "Gold patch: the PR's non-test changes (unified diff).", lambda i: i.patch
    ),
    Column(
        "test_patch",
        _STR,
        "string",
        "The PR's test changes (unified diff), applied before the tests run.",
        lambda i: i.test_patch,
    ),
    Column(
        "problem_statement",
        _STR,
        "string",
        "Title and body of the linked issue(s): the task given to a model.",
        lambda i: i.problem_statement,
    ),
    Column(
        "hints_text",
        _STR,
        "string",
        "Issue comments written before the PR's first commit.",
        lambda i: i.hints_text,
    ),
    Column("created_at", _STR, "string", "When the PR was created (ISO 8601).", lambda i: i.created_at),
    Column(
        "version",
        _STR,
        "string",
        "Package version at `base_commit`, as `major.minor`; selects the environment recipe.",
        lambda i: i.version,
    ),
    Column(
        "FAIL_TO_PASS",
        _STR,
        "string (JSON list)",
        "Tests that fail before the gold patch and pass after it in every validation run.",
        lambda i: _json_list(i.FAIL_TO_PASS),
    ),
    Column(
        "PASS_TO_PASS",
        _STR,
        "string (JSON list)",
        "Tests that pass both before and after the gold patch.",
        lambda i: _json_list(i.PASS_TO_PASS),
    ),
    Column(
        "environment_setup_commit",
        _STR,
        "string",
        "Commit the environment (dependencies) of this `version` was installed from.",
        lambda i: i.environment_setup_commit,
    ),
    Column(
        "image",
        _STR,
        "string",
        "Docker image with the environment and the repository at `base_commit`, as pushed "
        "(`docker pull` it); SWE-bench 5's harness runs the row in it.",
        lambda i: i.image_name,
    ),
    Column(
        "eval_script",
        _STR,
        "string",
        "Bash that grades a prediction in `image` (root, in /testbed, after the model patch): resets "
        "the test files, applies `test_patch`, runs the touched tests between `>>>>> Start Test "
        "Output` and `>>>>> End Test Output`, resets.",
        render_swebench_eval_script,
    ),
    Column(
        "log_parser",
        _STR,
        "string",
        "Key of SWE-bench's `swebench.harness.log_parsers.PARSER_REGISTRY` that reads `eval_script`'s "
        "output; null when SWE-bench has no parser for this row's test runner.",
        swebench_log_parser,
    ),
    Column(
        "eval_type",
        _STR,
        "string",
        "How SWE-bench grades the row: `pass_and_fail` (every listed test must pass).",
        lambda i: EVAL_TYPE,
    ),
    Column(
        "PASS_TO_FAIL",
        _STR,
        "string (JSON list)",
        "Tests that pass before and fail after the gold patch (metadata, not graded).",
        lambda i: _json_list(i.PASS_TO_FAIL),
    ),
    Column(
        "FAIL_TO_FAIL",
        _STR,
        "string (JSON list)",
        "Tests that fail both before and after the gold patch (metadata, not graded).",
        lambda i: _json_list(i.FAIL_TO_FAIL),
    ),
    Column(
        "flaky_tests",
        _STR,
        "string (JSON list)",
        "Tests whose outcome changed between validation runs; left out of the lists above.",
        lambda i: _json_list(i.flaky_tests),
    ),
    Column("pull_number", pa.int64(), "int64", "Number of the pull request.", lambda i: i.pull_number),
    Column(
        "issue_numbers",
        pa.list_(pa.int64()),
        "list of int64",
        "Issues the PR resolves (GitHub closing keywords).",
        lambda i: list(i.issue_numbers),
    ),
    Column(
        "install_config",
        _STR,
        "string (JSON object)",
        "The resolved environment recipe (python, apt and pip packages, install and test commands, "
        "log parser, env vars), so a row can be rebuilt without this tool.",
        lambda i: _json_object(i.install_config),
    ),
)

ARROW_SCHEMA = pa.schema([pa.field(column.name, column.arrow_type) for column in COLUMNS])


def to_row(instance: TaskInstance) -> dict[str, Any]:
    """The published row for one instance, columns in `COLUMNS` order."""
    return {column.name: column.value(instance) for column in COLUMNS}
