"""SWE-bench 5's per-row grading columns: `eval_script`, `log_parser`, `eval_type`, and test ids.

Since SWE-bench 5 (`swebench` 5.0.2 on PyPI) the harness needs no per-repository constants: it
starts a container from the row's `image` as root in `/testbed`, applies the model patch with
`git apply`, runs the row's `eval_script` (dropping its `#!/bin/bash` and `set -uxo pipefail`
lines and putting its own back), reads the output between `>>>>> Start Test Output` and
`>>>>> End Test Output` with `PARSER_REGISTRY[row["log_parser"]]`, and grades `FAIL_TO_PASS` and
`PASS_TO_PASS` by exact id under `eval_type`. It also records the test command's exit status by
inserting `SWEBENCH_TEST_EXIT_CODE=$?` just before the end marker, so the line before that marker
must be the test command.

Our eval script does what validate does for one "after" side: reset the files the test patch
touches, apply it, run the touched test files with the spec's test command in /opt/venv as the
unprivileged `swegym` user that validate runs as (tests that check file permissions behave
differently as root), then reset those files again.

pytest output is read by `parse_log_pytest_v2`, the only SWE-bench pytest parser that keeps a
whole summary line as the id (`parse_log_pytest` cuts ids at their first space, so parameter ids
with spaces collide). It still rewrites some ids: it deletes `[<digits>m` (colour codes) and
control characters, collapses runs of whitespace, and keeps an `XFAIL` line's ` - reason`. The
published lists are therefore written in the ids it reads (`swebench_test_id`, and for xfailed
tests the validation log's summary line), so SWE-bench's verdict on a row is ours.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from swegym_build.containment import TEST_USER
from swegym_build.errors import PublishError
from swegym_build.records import InstallConfig, TaskInstance
from swegym_build.validate.cases import listed_cases
from swegym_build.validate.evalscript import targets_to_run, with_targets

logger = logging.getLogger(__name__)

START_TEST_OUTPUT = ">>>>> Start Test Output"
END_TEST_OUTPUT = ">>>>> End Test Output"
APPLY_PATCH_FAIL = ">>>>> Patch Apply Failed"
#: SWE-bench grades every FAIL_TO_PASS and PASS_TO_PASS test (the other value, `fail_only`, is for
#: runners that print failures only).
EVAL_TYPE = "pass_and_fail"
#: Our spec's `log_parser` -> the `swebench.harness.log_parsers.PARSER_REGISTRY` key that reads the
#: same log. unittest and exit_code have no equivalent there whose ids match ours.
LOG_PARSERS: dict[str, str] = {"pytest": "parse_log_pytest_v2"}
#: validate's user (harness/env/Dockerfile creates it with uid 1000).
VENV = "/opt/venv"

# What parse_log_pytest_v2 does to every line before reading it.
_COLOUR_CODE = re.compile(r"\[(\d+)m")
_CONTROL_CHARACTERS = str.maketrans("", "", "".join(chr(code) for code in range(1, 32)))
_XFAIL = "XFAIL"


def swebench_log_parser(instance: TaskInstance) -> str | None:
    """The PARSER_REGISTRY key for the instance's parser, or None when SWE-bench has none."""
    return LOG_PARSERS.get(_config(instance).log_parser)


def _v2_words(line: str) -> list[str]:
    return _COLOUR_CODE.sub("", line).translate(_CONTROL_CHARACTERS).split()


def swebench_test_id(test_id: str) -> str:
    """The id parse_log_pytest_v2 reads from the `PASSED <test_id>` summary line pytest prints."""
    return " ".join(_v2_words(f"PASSED {test_id}")[1:])


def xfail_keys(log: str) -> set[str]:
    """What parse_log_pytest_v2 reads as the ids of `XFAIL` summary lines in a pytest log.

    SWE-bench splits the ` - message` off FAILED lines only, so an xfailed test's id there goes
    on with its reason: `XFAIL t.py::test_a - known bug` is read as `t.py::test_a - known bug`.
    """
    keys = set()
    for line in log.split("\n"):
        words = _v2_words(line)
        if len(words) >= 2 and words[0] == _XFAIL:
            keys.add(" ".join(words[1:]))
    return keys


def swebench_lists(instance: TaskInstance, after_logs: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """FAIL_TO_PASS and PASS_TO_PASS in the ids SWE-bench's parser reads from the eval script.

    `after_logs` are validation's test logs after the gold patch (one per run): an xfailed
    test's SWE-bench id (its summary line, reason included) is read from them. Without a
    SWE-bench parser for the instance the lists are returned unchanged.
    """
    if swebench_log_parser(instance) is None:
        return list(instance.FAIL_TO_PASS), list(instance.PASS_TO_PASS)
    xfailed = set().union(*(xfail_keys(log) for log in after_logs))

    def converted(test: str) -> str:
        test_id = swebench_test_id(test)
        if test_id in xfailed:
            return test_id
        with_reason = sorted(key for key in xfailed if key.startswith(test_id + " - "))
        if len(with_reason) > 1:
            logger.warning("%s: %r matches several XFAIL lines %s; listing it as %r",
                           instance.instance_id, test, with_reason, with_reason[0])  # fmt: skip
        return with_reason[0] if with_reason else test_id

    seen: dict[str, str] = {}
    for test in [*instance.FAIL_TO_PASS, *instance.PASS_TO_PASS, *instance.PASS_TO_FAIL,
                 *instance.FAIL_TO_FAIL, *instance.flaky_tests]:  # fmt: skip
        other = seen.setdefault(swebench_test_id(test), test)
        if other != test:
            logger.warning("%s: SWE-bench reads %r and %r as the same test; its grading of them may "
                           "differ from ours", instance.instance_id, other, test)  # fmt: skip
    return [converted(t) for t in instance.FAIL_TO_PASS], [converted(t) for t in instance.PASS_TO_PASS]


@dataclass(frozen=True)
class _TestFiles:
    """The paths a test patch touches: those at the base commit, and those it creates."""

    existing: list[str]
    created: list[str]


def _test_files(instance: TaskInstance) -> _TestFiles:
    try:
        patch = PatchSet(instance.test_patch)
    except UnidiffParseError as error:
        raise PublishError(f"{instance.instance_id}: test_patch is not a unified diff: {error}") from error
    existing: list[str] = []
    created: list[str] = []
    for patched in patch:
        source, target = _path(patched.source_file), _path(patched.target_file)
        if source is not None and source not in existing:
            existing.append(source)
        if target is not None and target != source and target not in created:
            created.append(target)
    return _TestFiles(existing, created)


def _path(name: str) -> str | None:
    if name == "/dev/null":
        return None
    return name[2:] if name[:2] in ("a/", "b/") else name


def _heredoc_delimiter(text: str) -> str:
    delimiter = "EOF_SWEGYM_TEST_PATCH"
    while delimiter in text:
        delimiter += "_"
    return delimiter


def _config(instance: TaskInstance) -> InstallConfig:
    try:
        return instance.config
    except ValueError as error:
        raise PublishError(str(error)) from None


def render_swebench_eval_script(instance: TaskInstance) -> str:
    """The self-contained bash SWE-bench's harness runs (as root, in /testbed) to grade a prediction."""
    config = _config(instance)
    files = _test_files(instance)
    cases = listed_cases(instance.FAIL_TO_PASS + instance.PASS_TO_PASS, config.test_cases)
    command = with_targets(config.test_cmd, targets_to_run(instance.test_patch, config, cases))
    reset = []
    if files.existing:
        reset.append("git checkout HEAD -- " + " ".join(map(shlex.quote, files.existing)))
    if files.created:
        reset.append("rm -rf -- " + " ".join(map(shlex.quote, files.created)))
    exports = [f"export {key}={shlex.quote(value)}" for key, value in sorted(config.env.items())]
    delimiter = _heredoc_delimiter(instance.test_patch)
    patch = instance.test_patch if instance.test_patch.endswith("\n") else instance.test_patch + "\n"
    lines = [
        "#!/bin/bash",
        "set -uxo pipefail",
        f"# Grades one prediction for {instance.instance_id} in its swegym-build image (SWE-bench 5",
        "# harness): reset the test files, apply the test patch, run the tests it touches, reset.",
        "cd /testbed",
        "export PYTHONDONTWRITEBYTECODE=1",
        f"export VIRTUAL_ENV={VENV} PATH={VENV}/bin:$PATH",
        *exports,
        *reset,
        f"if ! git apply --binary --whitespace=nowarn - <<'{delimiter}'",
        patch + delimiter,
        "then",
        f'  echo "{APPLY_PATCH_FAIL}: test_patch"',
        "  exit 1",
        "fi",
        "# The tests run as validate runs them: as the unprivileged user, who owns the tree.",
        f'if [ "$(id -u)" = 0 ] && id -u {TEST_USER} >/dev/null 2>&1; then',
        f"  chown -R --from=0:0 {TEST_USER}:{TEST_USER} /testbed",
        f"  as_test_user() {{ HOME=~{TEST_USER} USER={TEST_USER} LOGNAME={TEST_USER} setpriv"
        f' --reuid={TEST_USER} --regid={TEST_USER} --init-groups -- "$@"; }}',
        "else",
        '  as_test_user() { "$@"; }',
        "fi",
        f'echo "{START_TEST_OUTPUT}"',
        f"as_test_user bash -c {shlex.quote(command)}",
        f'echo "{END_TEST_OUTPUT}"',
        *reset,
    ]
    return "\n".join(lines) + "\n"


def with_swebench_test_ids(
    instances: Iterable[TaskInstance], after_logs: Mapping[str, Sequence[str]]
) -> list[TaskInstance]:
    """Copies of `instances` whose FAIL_TO_PASS and PASS_TO_PASS are in SWE-bench's ids.

    `after_logs` maps an instance id to its validation logs after the gold patch (see
    `swebench_lists`); an instance without logs is converted from its ids alone.
    """
    converted = []
    for instance in instances:
        fail_to_pass, pass_to_pass = swebench_lists(instance, after_logs.get(instance.instance_id, ()))
        converted.append(dataclasses.replace(instance, FAIL_TO_PASS=fail_to_pass, PASS_TO_PASS=pass_to_pass))
    return converted
