"""SWE-bench 5's grading columns: the eval script's shape, the parser key, and ids as its parser reads them.

That SWE-bench's own harness grades these rows as we validate them is checked against the real
harness in tests/publish/test_swebench_harness.py.
"""

from __future__ import annotations

import shlex

import pytest

from swegym_build.errors import PublishError
from swegym_build.publish.swebench import (
    END_TEST_OUTPUT,
    START_TEST_OUTPUT,
    render_swebench_eval_script,
    swebench_lists,
    swebench_log_parser,
    swebench_test_id,
    with_swebench_test_ids,
)
from tests.publish.helpers import TEST_PATCH, file_diff, hunk, make_instance

NEW_TEST_FILE = (
    "diff --git a/tests/test_new.py b/tests/test_new.py\nnew file mode 100644\n--- /dev/null\n"
    "+++ b/tests/test_new.py\n@@ -0,0 +1,2 @@\n+def test_new():\n+    assert True\n"
)
DELETED_FIXTURE = (
    "diff --git a/tests/data/old.txt b/tests/data/old.txt\ndeleted file mode 100644\n"
    "--- a/tests/data/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\n"
)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("tests/test_ops.py::test_add", "tests/test_ops.py::test_add"),
        ("tests/test_ops.py::test_p[a b]", "tests/test_ops.py::test_p[a b]"),
        ("tests/test_ops.py::test_p[c - d]", "tests/test_ops.py::test_p[c - d]"),
        # SWE-bench's parser collapses runs of whitespace, deletes control characters,
        ("tests/test_ops.py::test_p[e  f]", "tests/test_ops.py::test_p[e f]"),
        ("tests/test_ops.py::test_p[x\ty]", "tests/test_ops.py::test_p[xy]"),
        # and takes `[<digits>m` for a colour code.
        ("tests/test_ops.py::test_size[1m]", "tests/test_ops.py::test_size]"),
    ],
)
def test_ids_are_what_parse_log_pytest_v2_reads_from_a_passed_line(ours: str, theirs: str) -> None:
    assert swebench_test_id(ours) == theirs


def test_an_xfailed_test_is_listed_with_the_reason_swe_bench_reads_as_part_of_its_id() -> None:
    task = make_instance(
        1, FAIL_TO_PASS=["t.py::test_new"], PASS_TO_PASS=["t.py::test_x", "t.py::test_p[c - d]"]
    )
    log = (
        "=== short test summary info ===\nPASSED t.py::test_new\n"
        "XFAIL t.py::test_x - known - bug\nXFAIL t.py::test_p[c - d]\n=== 1 passed, 2 xfailed ===\n"
    )
    assert swebench_lists(task, [log]) == (
        ["t.py::test_new"],
        ["t.py::test_x - known - bug", "t.py::test_p[c - d]"],
    )
    # Without the validation log there is no reason to add.
    assert swebench_lists(task) == (["t.py::test_new"], ["t.py::test_x", "t.py::test_p[c - d]"])


def test_rows_get_converted_lists_and_the_rest_is_kept() -> None:
    task = make_instance(1, PASS_TO_PASS=["t.py::test_p[e  f]"], flaky_tests=["t.py::test_q[e  f]"])
    (converted,) = with_swebench_test_ids([task], {})
    assert converted.PASS_TO_PASS == ["t.py::test_p[e f]"]
    assert converted.flaky_tests == task.flaky_tests  # metadata stays in our ids
    assert task.PASS_TO_PASS == ["t.py::test_p[e  f]"]


def test_runners_without_a_swe_bench_parser_keep_their_ids_and_get_no_parser() -> None:
    config = {"python": "3.11", "test_cmd": "python -m unittest -v", "log_parser": "unittest"}
    task = make_instance(1, install_config=config, PASS_TO_PASS=["mod.Case.test_a  b"])
    assert swebench_log_parser(task) is None
    assert swebench_lists(task) == (task.FAIL_TO_PASS, task.PASS_TO_PASS)
    assert swebench_log_parser(make_instance(2)) == "parse_log_pytest_v2"


def script_lines(script: str) -> list[str]:
    return script.split("\n")


def test_the_eval_script_runs_the_touched_tests_between_the_markers() -> None:
    config = {"python": "3.11", "test_cmd": "pytest -rA -n0", "log_parser": "pytest", "env": {"TZ": "UTC"}}
    task = make_instance(1, install_config=config, test_patch=TEST_PATCH + NEW_TEST_FILE + DELETED_FIXTURE)
    script = render_swebench_eval_script(task)
    lines = script_lines(script)
    # SWE-bench replaces exactly these two lines with its own.
    assert lines[:2] == ["#!/bin/bash", "set -uxo pipefail"]
    assert "cd /testbed" in lines and "export TZ=UTC" in lines
    start, end = lines.index(f'echo "{START_TEST_OUTPUT}"'), lines.index(f'echo "{END_TEST_OUTPUT}"')
    # The harness records `$?` of the line before the end marker: it must be the test command.
    command = "pytest -rA -n0 tests/test_ops.py tests/test_new.py"
    assert lines[start + 1 : end] == [f"as_test_user bash -c {shlex.quote(command)}"]
    # Test files are reset before the test patch and again at the end.
    reset = ["git checkout HEAD -- tests/test_ops.py tests/data/old.txt", "rm -rf -- tests/test_new.py"]
    assert lines[end + 1 :] == [*reset, ""]
    apply = next(n for n, line in enumerate(lines) if line.startswith("if ! git apply"))
    assert lines.index(reset[0]) < apply < start
    # The test patch travels inside the script, verbatim.
    assert TEST_PATCH + NEW_TEST_FILE + DELETED_FIXTURE in script


def test_the_heredoc_delimiter_never_appears_in_the_test_patch() -> None:
    patch = file_diff("tests/test_ops.py", hunk(1, "EOF_SWEGYM_TEST_PATCH", "EOF_SWEGYM_TEST_PATCH_"))
    script = render_swebench_eval_script(make_instance(1, test_patch=patch))
    assert "<<'EOF_SWEGYM_TEST_PATCH__'" in script
    assert script_lines(script).count("EOF_SWEGYM_TEST_PATCH__") == 1


def test_a_row_without_a_test_command_names_the_instance() -> None:
    with pytest.raises(PublishError, match="swegym-demo__calculator-1: install_config has no test_cmd"):
        render_swebench_eval_script(make_instance(1, install_config=None))
