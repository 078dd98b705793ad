"""The script one side's container runs as root, rendered from harness/validate/side.sh: validate's
before/after sides, and evaluate's grading of a model patch."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from swegym_build.containment import TEST_UID
from swegym_build.records import InstallConfig, TestCases
from swegym_build.validate.cases import is_case_file, keyword_expression, selected_names
from swegym_build.validate.runner import (
    ARMED_SECONDS,
    PATCH_FAILED_EXIT,
    TEST_PATCH_FAILED_EXIT,
    UNHARDENED_EXIT,
    Markers,
)
from swegym_build.validate.safety import touched_files

TEMPLATE = Path(__file__).resolve().parents[2] / "harness" / "validate" / "side.sh"
PYTHON_TEST_SUFFIX = ".py"
TEST_PATCH = "test.patch"
GOLD_PATCH = "gold.patch"
MODEL_PATCH = "model.patch"


# Python files of a test tree that hold no tests of their own: a package's `__init__.py` handed
# to pytest collects the whole package (moto-6971: the test patch's helper in
# tests/test_timestreamwrite/__init__.py ran test_server.py, which the patch never touched, and its
# ids were phantoms); `conftest.py` holds fixtures.
_NOT_TEST_MODULES = ("__init__.py", "conftest.py")


def test_modules(test_patch: str) -> list[str]:
    """The Python files the test patch leaves in the tree whose tests count: its package markers
    and conftest files only where it leaves no other Python file (then they are what there is)."""
    python = [path for path in touched_files(test_patch) if path.endswith(PYTHON_TEST_SUFFIX)]
    modules = [path for path in python if path.rsplit("/", 1)[-1] not in _NOT_TEST_MODULES]
    return modules or python


def dumped_files(test_patch: str, test_cases: TestCases | None) -> list[str]:
    """The files the host's static collection reads: the test modules, and the case files."""
    return [
        path
        for path in touched_files(test_patch)
        if path.endswith(PYTHON_TEST_SUFFIX) or is_case_file(path, test_cases)
    ]


def targets_to_run(test_patch: str, config: InstallConfig, enclosing: Sequence[str] = ()) -> list[str]:
    """What to hand the test command: the test modules the test patch leaves in the tree.

    pytest takes paths; unittest takes dotted module names; a suite judged by its exit code is
    run whole. Data files the patch touches (fixtures) are not test modules, except where the
    spec's `test_cases` says they hold the tests: pytest then runs the cases by name (`-k`, see
    cases.py) over the suite the test command collects.
    """
    if config.log_parser == "exit_code":
        return []
    if config.log_parser == "pytest" and (names := selected_names(test_patch, config.test_cases, enclosing)):
        return ["-k", keyword_expression(names)]
    modules = test_modules(test_patch)
    if config.log_parser == "unittest":
        return [path[: -len(PYTHON_TEST_SUFFIX)].replace("/", ".") for path in modules]
    return modules


# A test file that cannot be collected (a new import only the fix provides, a plugin the env
# lacks) must not stop pytest from running the others: interrupted, the side has no statuses at
# all, and every test passing after would count as FAIL_TO_PASS (hydra-2973: 15 files did not
# collect, nothing ran). Its tests are then absent on that side, which is what they are.
PYTEST_KEEP_GOING = "--continue-on-collection-errors"


def test_command(install_config: InstallConfig, test_patch: str, enclosing: Sequence[str] = ()) -> str:
    command = install_config.test_cmd
    if install_config.log_parser == "pytest" and PYTEST_KEEP_GOING not in command:
        command = f"{command} {PYTEST_KEEP_GOING}"
    return with_targets(command, targets_to_run(test_patch, install_config, enclosing))


# `python -m unittest discover` runs a whole tree and takes no module names (`unrecognized
# arguments`): with modules to run, the command names them instead of discovering. Discovery's
# own options and positionals go (start folder, pattern, top folder); the runner's stay.
_DISCOVER_VALUED = ("-s", "--start-directory", "-p", "--pattern", "-t", "--top-level-directory")
_RUNNER_VALUED = ("-k",)
_SHELL_SYNTAX = frozenset(";&|<>`$()")


def with_targets(command: str, targets: list[str]) -> str:
    """The test command with `targets` (paths, dotted modules, `-k EXPR`) appended."""
    words = shlex.split(command) if targets and not _SHELL_SYNTAX & set(command) else []
    at = next((i for i in range(1, len(words)) if words[i - 1 : i + 1] == ["unittest", "discover"]), None)
    if at is not None:
        kept, rest = words[:at], iter(words[at + 1 :])
        for word in rest:
            if word in _DISCOVER_VALUED:
                next(rest, None)
            elif word in _RUNNER_VALUED:
                kept += [word, next(rest, "")]
            elif word.startswith("-") and not word.startswith(tuple(f"{o}=" for o in _DISCOVER_VALUED)):
                kept.append(word)
        command = shlex.join(kept)
    return " ".join([command, *(shlex.quote(t) for t in targets)])


def render_side_script(
    install_config: InstallConfig,
    test_patch: str,
    patch: str | None,
    markers: Markers,
    self_kill_seconds: int,
    enclosing: Sequence[str] = (),
) -> str:
    """The validate script for the before side (`patch` None) or the after side (the gold patch
    too); `enclosing`: the cases the test patch edits without showing their header (cases.py)."""
    steps = [_apply(TEST_PATCH, TEST_PATCH_FAILED_EXIT)]
    touched = touched_files(test_patch)
    if patch is not None:
        steps.append(_apply(GOLD_PATCH, PATCH_FAILED_EXIT))
        touched += touched_files(patch)
    return _render(install_config, test_patch, steps, touched, markers, self_kill_seconds, enclosing)


def render_grading_script(
    install_config: InstallConfig,
    test_patch: str,
    model_patch: str,
    restored: list[str],
    markers: Markers,
    self_kill_seconds: int,
    enclosing: Sequence[str] = (),
) -> str:
    """The evaluate script: the model's patch, then the `restored` files (test files and test
    configuration it edited) put back as they are at the base commit, then the test patch, so
    the tests that run are the task's and not the model's."""
    steps = [_apply(MODEL_PATCH, PATCH_FAILED_EXIT)]
    for path in restored:
        quoted = shlex.quote(path)
        steps.append(f"harness_git checkout -q HEAD -- {quoted} 2>/dev/null || rm -rf -- {quoted}")
    steps.append(_apply(TEST_PATCH, TEST_PATCH_FAILED_EXIT))
    touched = touched_files(model_patch) + restored + touched_files(test_patch)
    return _render(install_config, test_patch, steps, touched, markers, self_kill_seconds, enclosing)


def _apply(name: str, exit_code: int) -> str:
    return f'harness_git apply --binary --whitespace=nowarn "$HARNESS/{name}" >&2 || exit {exit_code}'


def _render(
    install_config: InstallConfig,
    test_patch: str,
    steps: list[str],
    touched: list[str],
    markers: Markers,
    self_kill_seconds: int,
    enclosing: Sequence[str] = (),
) -> str:
    dumped = dumped_files(test_patch, install_config.test_cases)
    exports = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in sorted(install_config.env.items()))
    replacements = {
        "# @APPLY@": "\n".join(steps) + "\n#",
        "@TEST_PATCH_FAILED@": str(TEST_PATCH_FAILED_EXIT),
        "@PATCH_FAILED@": str(PATCH_FAILED_EXIT),
        "@UNHARDENED@": str(UNHARDENED_EXIT),
        "@TOUCHED@": " ".join(shlex.quote(path) for path in dict.fromkeys(touched)) or "''",
        "@DUMP@": " ".join(shlex.quote(path) for path in dumped) or "''",
        "@FILE_MARKER@": markers.file,
        "@BEGIN_MARKER@": markers.begin,
        "@SELF_KILL_SECONDS@": str(self_kill_seconds),
        "@ARMED_SECONDS@": str(ARMED_SECONDS),
        "@UID@": str(TEST_UID),
        "@TEST_CMD@": shlex.quote(test_command(install_config, test_patch, enclosing)),
        "# @ENV@": exports or "# (no env)",
    }
    script = TEMPLATE.read_text()
    for placeholder, value in replacements.items():
        script = script.replace(placeholder, value)
    return script
