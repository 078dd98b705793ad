"""Where a project's own pytest runs point: the paths its Makefile, tox commands, noxfile sessions
and CI workflow steps give pytest.

A tree without `testpaths` leaves pytest to walk every folder, and the generic test rule takes a
source module named `test_*.py` for a test (moto's `moto/stepfunctions/.../test_state/
test_state_program.py`, the Step Functions TestState API). The project's runs say which folders
hold its tests (`pytest -sv ./tests/`). Files are read, never executed; a run whose paths cannot be
known statically (`$(PARALLEL_TESTS)`, `${{ env.TESTS }}`, `cd $DIR`) is left out; of
`examples/${{ matrix.dir }}` the folder before the variable is kept.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

import yaml

from swegym_build.specs.drafting.nox import nox_test_sessions
from swegym_build.specs.drafting.tox import env_commands
from swegym_build.specs.drafting.workflows import NOT_TEST_JOBS, named_as_not_test

_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
_WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_PYTEST = frozenset({"pytest", "py.test"})
# the word before `pytest` when it is the command run (`python -m pytest`, `poetry run pytest`,
# `xvfb-run -a pytest`, `if ...; then pytest`, `sudo -E pytest`), not an argument (`pip install
# pytest`); a number (`timeout 600 pytest`) or an assignment (`env CI=1 pytest`) too
_LAUNCHERS = frozenset(
    {"-m", "run", "exec", "-a", "xvfb-run", "time", "nice", "then", "do", "else", "sudo", "-E", "env", "-"}
)
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_LAUNCHER_ARGUMENT = re.compile(r"^(?:\d+[smh]?|\w+=\S*)$")
# pytest options (and common plugins') whose value is the next word
_VALUE_OPTIONS = frozenset(
    [
        "-k",
        "-m",
        "-n",
        "-p",
        "-c",
        "-o",
        "-W",
        "-r",
        "--cov",
        "--cov-report",
        "--cov-config",
        "--cov-fail-under",
        "--ignore",
        "--ignore-glob",
        "--deselect",
        "--rootdir",
        "--basetemp",
        "--junitxml",
        "--junit-xml",
        "--durations",
        "--maxfail",
        "--tb",
        "--timeout",
        "--dist",
        "--reruns",
        "--reruns-delay",
        "--log-level",
        "--log-cli-level",
        "--confcutdir",
        "--import-mode",
        "--numprocesses",
        "--maxprocesses",
        "--html",
        "--random-order-seed",
        "--splits",
        "--group",
        "--config-file",
        "--override-ini",
        "--rsyncdir",
        "--hypothesis-profile",
        "--log-file",
        "--doctest-glob",
        "--report-log",
        "--color",
    ]
)
_REDIRECTIONS = frozenset({">", ">>", "<", ">&", "&>", "<<", "<<<"})
_SEPARATORS = frozenset({"&&", "||", ";", "|", "(", ")", "&", ";;"})
_ASSIGNMENT = re.compile(r"^\w+=")
# tox's `{posargs}` is empty unless the user passes arguments; `{posargs:DEFAULT}` is DEFAULT
_TOX_POSARGS = re.compile(r"\{posargs(?::([^{}]*))?\}")
_TOX_TOP = re.compile(r"\{toxinidir\}/?")


@dataclass(frozen=True)
class _Run:
    """One pytest command line: the words after `pytest`, in the folder it runs from."""

    words: tuple[str, ...]
    cwd: str | None  # None: a folder that cannot be known here


def invoked_roots(files: Collection[str], read: Callable[[str], str | None]) -> frozenset[str] | None:
    """The top-level folders the project's pytest runs are given, or None when no run names one
    or a run is given the whole tree (no path, or `.` at the top)."""
    folders = {posixpath.dirname(path) for path in files}
    known = set(files) | {prefix for folder in folders for prefix in _prefixes(folder)}
    roots: set[str] = set()
    for run in _runs(files, read):
        paths = _paths(run, known)
        if paths is None:
            continue
        if not paths or "." in paths:
            return None
        roots |= {path.split("/", 1)[0] for path in paths}
    return frozenset(roots) or None


def _prefixes(folder: str) -> Iterator[str]:
    while folder:
        yield folder
        folder = posixpath.dirname(folder)


def _paths(run: _Run, known: set[str]) -> set[str] | None:
    """The paths a run names (empty: none, the folder it runs in), or None when they cannot be
    known (a variable among them, or a folder that is not known)."""
    if run.cwd is None or (run.cwd != "." and run.cwd not in known):
        return None
    positional: list[str] = []
    words = iter(run.words)
    pyargs = "--pyargs" in run.words
    for word in words:
        if word in _REDIRECTIONS:
            next(words, None)  # its target is no test path (`pytest > out.txt`, `2> err`)
            if positional and positional[-1].isdigit():
                positional.pop()
        elif word == "--":
            positional.extend(words)
        elif word.startswith("-"):
            if "=" not in word and word in _VALUE_OPTIONS:
                next(words, None)
        elif "$" in word or "{" in word or "}" in word:
            # `examples/${{ matrix.dir }}`: the folder before the variable is still known
            folder = re.split(r"[${}]", word, maxsplit=1)[0].rpartition("/")[0]
            if not folder:
                return None
            positional.append(folder)
        else:
            positional.append(word)
    paths: set[str] = set()
    for word in positional:
        name = word.split("::", 1)[0]
        path = posixpath.normpath(posixpath.join(run.cwd, name))
        if pyargs and path not in known:
            path = posixpath.normpath(posixpath.join(run.cwd, name.replace(".", "/")))
        if path == "." or path in known:
            paths.add(path)
    if positional and not paths:
        return None  # it names something, but nothing this tree has
    return paths or ({run.cwd} if run.cwd != "." else set())


def _runs(files: Collection[str], read: Callable[[str], str | None]) -> Iterator[_Run]:
    """The pytest runs of the project's test targets, envs, sessions and jobs (not its docs, lint
    or benchmark ones)."""
    for name in _MAKEFILES:
        if name in files:
            yield from _makefile_runs(read(name) or "")
    if "tox.ini" in files:
        for section, lines in env_commands(read("tox.ini") or "").items():
            if NOT_TEST_JOBS.search(section.partition(":")[2]):
                continue
            for line in lines:
                line = _TOX_POSARGS.sub(lambda m: m.group(1) or "", _TOX_TOP.sub("./", line))
                yield from _shell_runs(line.replace("{envpython}", "python"), ".")
    if "noxfile.py" in files:
        yield from _nox_runs(read("noxfile.py") or "")
    for path in sorted(f for f in files if _WORKFLOW.match(f)):
        yield from _workflow_runs(path, read(path) or "")


def _makefile_runs(text: str) -> Iterator[_Run]:
    target = ""
    for line in _joined(text):
        if line.startswith("\t"):
            if not NOT_TEST_JOBS.search(target):
                yield from _shell_runs(line.strip().lstrip("@-"), ".")
        elif rule := re.match(r"^([\w./%-]+)\s*:(?!=)", line):
            target = rule.group(1)


def _joined(text: str) -> list[str]:
    """The lines of a script or Makefile with backslash continuations joined."""
    return text.replace("\\\n", " ").splitlines()


def _shell_runs(script: str, cwd: str | None) -> Iterator[_Run]:
    """The pytest runs of a shell script whose commands start in `cwd`, following its `cd`s."""
    for line in _joined(script):
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens = list(lexer)
        except ValueError:
            continue
        command: list[str] = []
        for token in [*tokens, ";"]:
            if token not in _SEPARATORS:
                command.append(token)
                continue
            while command and _ASSIGNMENT.match(command[0]):
                command.pop(0)
            if command[:1] == ["cd"]:
                target = command[1] if len(command) > 1 else ""
                known = target and "$" not in target and not target.startswith(("/", "~"))
                cwd = posixpath.normpath(posixpath.join(cwd, target)) if cwd is not None and known else None
            elif command:
                run = _pytest_run(command, cwd)
                if run is not None:
                    yield run
            command = []


def _pytest_run(command: list[str], cwd: str | None) -> _Run | None:
    for index, word in enumerate(command):
        before = command[index - 1] if index else ""
        if posixpath.basename(word) in _PYTEST and (
            not index or before in _LAUNCHERS or _LAUNCHER_ARGUMENT.match(before)
        ):
            return _Run(tuple(command[index + 1 :]), cwd)
    return None


def _nox_runs(text: str) -> Iterator[_Run]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    calls = (node for function in nox_test_sessions(tree) for node in ast.walk(function))
    for node in calls:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run":
            # a non-literal argument (a variable) is unknown; `*session.posargs` is empty by default
            words = [
                arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "$unknown"
                for arg in node.args
                if not isinstance(arg, ast.Starred)
            ]
            run = _pytest_run(words, ".")
            if run is not None:
                yield run


def _workflow_runs(path: str, text: str) -> Iterator[_Run]:
    try:
        workflow = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    if not isinstance(workflow, dict) or not isinstance(workflow.get("jobs"), dict):
        return
    top = _working_directory(workflow, ".")
    for name, job in workflow["jobs"].items():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        if named_as_not_test(path, str(name), job):
            continue
        job_cwd = _working_directory(job, top)
        for step in job["steps"]:
            if isinstance(step, dict) and isinstance(step.get("run"), str):
                cwd = step.get("working-directory", job_cwd)
                # an expression is one word to the shell once GitHub expands it (`${{ matrix.x }}`)
                script = _EXPRESSION.sub("$EXPRESSION", step["run"])
                yield from _shell_runs(script, _folder(cwd))


def _working_directory(node: dict[str, object], default: str | None) -> str | None:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    if isinstance(run, dict) and "working-directory" in run:
        return _folder(run["working-directory"])
    return default


def _folder(value: object) -> str | None:
    if not isinstance(value, str) or "$" in value or value.startswith(("/", "~")):
        return None
    return posixpath.normpath(value)
