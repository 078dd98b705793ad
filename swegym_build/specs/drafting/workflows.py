"""GitHub Actions workflows: the CI Python matrix, and the pip/apt install steps of test jobs.

`${{ matrix.X }}`, `${{ env.X }}`, `$X` and `${X}` are resolved from the workflow's, job's and
step's `env:` and from the job's matrix (the Python axis is the drafted Python; another axis only
when it has a single value). What cannot be resolved is dropped with a warning naming the file.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

import yaml

from swegym_build.specs.drafting.requirements import UNRESOLVED, take_install_args
from swegym_build.specs.drafting.runner import take_runner
from swegym_build.specs.drafting.snapshot import Findings, Snapshot
from swegym_build.specs.yamlio import load_yaml

_WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_PYTHON_AXES = ("python-version", "python", "python_version", "py", "pyver", "python-versions")
NOT_TEST_JOBS = re.compile(r"doc|lint|release|bench|publish|deploy|pre-?commit|typing|mypy|wheel", re.I)
_OTHER_OS = re.compile(r"windows|macos", re.I)
# a job is a test job when a step runs the tests (coverage uploads, releases and bots do not)
_RUNS_TESTS = re.compile(
    r"\bpy\.?test\b|\bunittest\b|\btox\b|\bnox\b|runtests|run[_-]tests|\bmake\s+\S*test|coverage\s+run"
    r"|\btest[\w.-]*\.sh\b",
    re.I,
)

_OTHER_PYTHON = re.compile(r"-dev\b|nightly|alpha|beta|\brc\b|pypy|graalpy|\dt\b", re.I)
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_SHELL_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
# a line that may install something: only those are resolved and read
_INSTALLS = re.compile(r"\b(?:pip3?|apt(?:-get)?)\s+(?:\S+\s+)*?install\b")
# well-known CI setup actions of a test job -> the Debian packages giving the same tool (a test
# suite that needs Java or Node in CI gets it from one of these, not from an apt-get line)
_SETUP_ACTIONS: dict[str, tuple[str, ...]] = {
    "actions/setup-java": ("default-jdk-headless",),
    "actions/setup-node": ("nodejs", "npm"),
    "actions/setup-go": ("golang-go",),
    "actions/setup-dotnet": (),  # not packaged by Debian
    "r-lib/actions/setup-r": ("r-base",),
    "dtolnay/rust-toolchain": ("cargo", "rustc"),
    "actions-rs/toolchain": ("cargo", "rustc"),
}
# an apt install line of a CircleCI config (its pip lines are not read)
_APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:\S+\s+)*?install\b")


@dataclass
class _Context:
    """What a `run:` line can refer to."""

    python: str
    env: dict[str, str] = field(default_factory=dict)
    matrix: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    path: str
    name: str
    body: dict[str, Any]
    workflow_env: dict[str, str]


def workflow_jobs(snap: Snapshot, found: Findings) -> list[Job]:
    jobs: list[Job] = []
    for path in sorted(f for f in snap.files if _WORKFLOW.match(f)):
        workflow = _parsed(snap, found, path)
        if not isinstance(workflow, dict) or not isinstance(workflow.get("jobs"), dict):
            continue
        env = _string_map(workflow.get("env"))
        for name, body in workflow["jobs"].items():
            if isinstance(body, dict):
                jobs.append(Job(path, str(name), body, env))
    return jobs


def matrix_pythons(jobs: list[Job]) -> list[tuple[str, list[str]]]:
    """(workflow file, Python versions of its test jobs' matrices) for each test job with one."""
    found: list[tuple[str, list[str]]] = []
    for job in jobs:
        if not is_test_job(job):
            continue
        versions = _python_axis(_matrix(job))
        if versions:
            found.append((job.path, versions))
    return found


def read_workflow_installs(snap: Snapshot, found: Findings, jobs: list[Job], python: str) -> None:
    """Requirement files, project extras, packages and apt packages installed by test jobs."""
    for job in jobs:
        if not is_test_job(job):
            continue
        context = _Context(python, {**job.workflow_env, **_string_map(job.body.get("env"))}, _matrix(job))
        for step in job.body.get("steps") or []:
            if not isinstance(step, dict):
                continue
            if _OTHER_OS.search(str(step.get("if", ""))) or _variant_only(str(step.get("if", ""))):
                continue
            if isinstance(step.get("uses"), str):
                _take_setup_action(found, job.path, step["uses"])
            if not isinstance(step.get("run"), str):
                continue
            step_context = _Context(python, {**context.env, **_string_map(step.get("env"))}, context.matrix)
            for line in _lines(step["run"]):
                take_runner(found, line, job.path)
                if _INSTALLS.search(line):
                    _take_line(snap, found, job.path, _resolve(line, step_context, found, job.path))


def read_circleci_apt(snap: Snapshot, found: Findings) -> None:
    """The apt packages a CircleCI config installs (`.circleci/config.yml`, older repositories' CI):
    apt-get lines only, since only Linux executors have apt and its packages are tools the tests
    call (a JRE, a shell), not the Python dependencies the other sources already give."""
    path = ".circleci/config.yml"
    for command in _circleci_commands(_parsed(snap, found, path)):
        for line in _lines(command):
            if _APT_INSTALL.search(line):
                _take_line(snap, found, path, line)


def _parsed(snap: Snapshot, found: Findings, path: str) -> object:
    """A CI config's YAML; None when it is absent, or does not parse (with a warning)."""
    try:
        return load_yaml(snap.read(path) or "")
    except yaml.YAMLError as exc:
        found.warn(f"{path} does not parse, not read: {str(exc).splitlines()[0]}")
        return None


def _circleci_commands(node: object) -> list[str]:
    """Every `run:` command anywhere in a CircleCI config (jobs, commands, orbs' steps)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            elif key == "run" and isinstance(value, dict) and isinstance(value.get("command"), str):
                found.append(value["command"])
            else:
                found.extend(_circleci_commands(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_circleci_commands(item))
    return found


def _take_setup_action(found: Findings, path: str, uses: str) -> None:
    """The apt packages standing in for a well-known setup action (`actions/setup-java@v4`)."""
    action = uses.split("@", 1)[0].strip().lower()
    for package in _SETUP_ACTIONS.get(action, ()):
        _add_apt(found, package, f"{path} uses {action}")


def _take_line(snap: Snapshot, found: Findings, path: str, line: str) -> None:
    """The pip and apt installs of one shell line (quotes kept, `&&`/`;`/`|` split outside them)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:
        found.warn(f"{path}: `{line}` not read (unbalanced quotes)")
        return
    command: list[str] = []
    redirect_target = False
    for token in [*tokens, ";"]:
        if redirect_target:  # `pip install torch>=1.5` is torch, with output sent to a file `=1.5`
            redirect_target = False
        elif token and set(token) <= set("&|;()"):
            _take_command(snap, found, path, command)
            command = []
        elif token and set(token) <= set("<>&"):
            redirect_target = True
        else:
            command.append(token)


def _take_command(snap: Snapshot, found: Findings, path: str, words: list[str]) -> None:
    for i, word in enumerate(words[1:], 1):
        if word != "install":
            continue
        tool = words[i - 1].rsplit("/", 1)[-1]
        if tool in ("pip", "pip3"):
            take_install_args(found, words[i + 1 :], f"{path} pip install", snap)
        elif tool in ("apt-get", "apt"):
            _take_apt(found, words[i + 1 :], path)
        break


def _take_apt(found: Findings, args: list[str], path: str) -> None:
    words = iter(args)
    for word in words:
        if word in ("-o", "-t", "--target-release"):
            next(words, None)
        elif word.startswith("-") or UNRESOLVED in word:
            continue
        elif "$" in word:
            found.warn(f"{path} apt-get install: {word!r} dropped (an unresolved variable)")
        else:
            _add_apt(found, word, f"{path} apt-get install")


def _add_apt(found: Findings, package: str, source: str) -> None:
    if package not in found.apt_packages:
        found.apt_packages.append(package)
        found.note("apt_packages", source)


def _resolve(command: str, context: _Context, found: Findings, path: str) -> str:
    """`command` with what can be resolved substituted; the rest kept in a form that is dropped."""

    def expression(match: re.Match[str]) -> str:
        value = _expression_value(match.group(1), context)
        if value is None:
            found.warn(f"{path}: `{match.group(0)}` in `{command.strip()}` could not be resolved; dropped")
            return UNRESOLVED
        return value

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        value = context.env.get(name)
        if value is None or "$" in _EXPRESSION.sub(
            lambda m: _expression_value(m.group(1), context) or "$", value
        ):
            found.warn(
                f"{path}: `{match.group(0)}` in `{command.strip()}` is not set in the workflow; dropped"
            )
            return match.group(0)
        return _EXPRESSION.sub(lambda m: _expression_value(m.group(1), context) or "", value)

    return _SHELL_VARIABLE.sub(variable, _EXPRESSION.sub(expression, command))


def _expression_value(expression: str, context: _Context) -> str | None:
    value = _lookup(expression, context)
    # a value that is itself an expression (`${{ fromJSON(...) }}`) is only known at run time
    return None if value is None or "${{" in value else value


def _lookup(expression: str, context: _Context) -> str | None:
    match = re.fullmatch(r"(matrix|env)\.([\w-]+)", expression.strip())
    if not match:
        return None
    scope, name = match.groups()
    if scope == "env":
        return context.env.get(name)
    if name in _PYTHON_AXES:
        return context.python
    value = context.matrix.get(name)
    if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], (dict, list)):
        return str(value[0])
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _lines(script: str) -> list[str]:
    joined = re.sub(r"\\\s*\n", " ", script)
    return [line.strip() for line in joined.splitlines() if line.strip()]


def named_as_not_test(path: str, job_id: str, body: dict[str, Any]) -> bool:
    """The workflow file, job id or job name marks a docs, lint, release... job."""
    names = (path.rsplit("/", 1)[-1], job_id, str(body.get("name", "")))
    return any(NOT_TEST_JOBS.search(name) for name in names)


def is_test_job(job: Job) -> bool:
    if named_as_not_test(job.path, job.name, job.body):
        return False
    steps = [step for step in job.body.get("steps") or [] if isinstance(step, dict)]
    if not any(_RUNS_TESTS.search(str(step.get("run", ""))) for step in steps):
        return False
    if any(_checks_out_another_repository(step) for step in steps):
        # it tests another project (a downstream library) against this one: its installs are theirs
        return False
    runs_on = job.body.get("runs-on")
    if "container" in job.body or "self-hosted" in str(runs_on):
        # another machine or image than GitHub's hosted Linux: its installs fit that one
        return False
    return not (isinstance(runs_on, str) and _OTHER_OS.search(runs_on) and "matrix" not in runs_on)


def _checks_out_another_repository(step: dict[str, Any]) -> bool:
    uses, options = str(step.get("uses", "")), step.get("with")
    return uses.startswith("actions/checkout") and isinstance(options, dict) and "repository" in options


def _variant_only(condition: str) -> bool:
    """A step condition on a matrix axis other than Python or OS, or on a pre-release or PyPy
    Python: it runs for one variant only (a debug build, a dev Python), not the env drafted."""
    axes = set(re.findall(r"matrix\.([\w-]+)", condition))
    if axes & set(_PYTHON_AXES) and _OTHER_PYTHON.search(condition):
        return True
    return bool(axes - {*_PYTHON_AXES, "os", "platform", "runs-on"})


def _matrix(job: Job) -> dict[str, Any]:
    strategy = job.body.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    return matrix if isinstance(matrix, dict) else {}


def _python_axis(matrix: dict[str, Any]) -> list[str]:
    versions: list[str] = []
    for axis in _PYTHON_AXES:
        value = matrix.get(axis)
        if isinstance(value, list):
            versions.extend(str(v) for v in value if isinstance(v, (str, int, float)))
    for extra in matrix.get("include") or []:
        if isinstance(extra, dict):
            versions.extend(
                str(extra[a]) for a in _PYTHON_AXES if isinstance(extra.get(a), (str, float, int))
            )
    return versions


def _string_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, (str, int, float, bool))}
