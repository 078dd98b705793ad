"""The verification check of a recipe: in its env image, at the environment commit, the test
command collects at least one test and no collection error.

For pytest that is `<test_cmd> --collect-only -q` exiting 0; for unittest, the same discovery
`python -m unittest discover` does, counting tests and loader errors (unittest has no collect-only
mode). A suite judged by its exit code alone has nothing to collect and cannot be checked this
way. The container gets the validate stage's containment: no network, no capabilities, no
privilege escalation, the unprivileged test user, memory/CPU/pids and wall-clock limits.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import logging
import posixpath
import re
import shlex
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import requests

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from swegym_build.containment import TEST_USER, ContainerLimits
from swegym_build.interrupt import remove, tracked
from swegym_build.labels import tier_labels
from swegym_build.testpaths import TEST_DIRECTORIES, is_test_path
from swegym_build.validate.parsers.text import clean_lines
from swegym_build.verify.invocations import invoked_roots

log = logging.getLogger(__name__)

VERIFIED = "collected"
NO_TESTS = "no_tests"
COLLECTION_ERRORS = "collection_errors"
COMMAND_FAILED = "command_failed"
TIMED_OUT = "timed_out"
NOT_CHECKABLE = "not_checkable"

# pytest's `-q` summary ("2 tests collected, 1 error in 1.6s"; older: "collected 2 items")
# `-q` alone: `N tests collected in`; with a test_cmd's own -v (net verbosity above 0) the line is
# framed `==== N tests collected in S s ====` and the header says `collecting ... collected N items`
_TESTS = re.compile(r"^=*\s*(\d+) tests? collected\b|\bcollected (\d+) items?\b", re.MULTILINE)
_SUMMARY_ERRORS = re.compile(r"\b(\d+) errors?\b(?: in |$)", re.MULTILINE)
_NODE_ID = re.compile(r"^\S+\.py::\S", re.MULTILINE)
_PER_FILE = re.compile(r"^\S+\.py: (\d+)$", re.MULTILINE)
# one header per module that failed to import, in pytest's ERRORS section and the unittest probe
_COLLECT_ERROR = re.compile(r"^_* ?ERROR collecting\b", re.MULTILINE)
# pytest's config files in the order it looks for them, with the section each holds its options in
_PYTEST_CONFIGS = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", "tool.pytest.ini_options"),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)
_LIST_OPTIONS = ("testpaths", "norecursedirs", "addopts")
# pytest's own norecursedirs, which a project's setting replaces
_PYTEST_NORECURSE = ["*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}"]
_UNITTEST = """\
import sys, unittest
loader = unittest.TestLoader()
suite = loader.discover({start!r}, pattern={pattern!r}, top_level_dir={top!r})
def walk(s):
    for t in s:
        yield from (walk(t) if isinstance(t, unittest.TestSuite) else (t,))
tests = list(walk(suite))
failed = [t for t in tests if type(t).__name__ in ("_FailedTest", "ModuleImportFailure")]
for t in failed:
    print("ERROR collecting", t.id())
for message in getattr(loader, "errors", []):
    print("   ", message.strip().splitlines()[-1] if message.strip() else "")
print(len(tests) - len(failed), "tests collected")
sys.exit(1 if failed or getattr(loader, "errors", []) else (0 if tests else 5))
"""


@dataclass(frozen=True)
class CollectionCheck:
    """The outcome: `verified` only for `reason == "collected"`; `log` is the command's output."""

    reason: str
    tests: int
    errors: int
    exit_code: int | None
    log: str

    @property
    def verified(self) -> bool:
        return self.reason == VERIFIED


def collection_paths(
    files: Collection[str], read: Callable[[str], str | None], patterns: Sequence[str] | None = None
) -> tuple[str, ...]:
    """The folders pytest's collection is given: the top-level folders holding the tree's test
    modules that pytest would walk into (not matched by `norecursedirs`), as validate gives it
    test files. A conftest then counts as pytest counts it in a validate run (an initial conftest,
    whose `pytest_addoption` takes effect: modin's in `modin/`), not as one found while walking the
    whole tree. When the project's own pytest runs name folders (`invoked_roots`), only those and
    test-named ones (`tests/`) are given: a source module named like a test stays out. Empty (the
    whole tree, pytest's own choice) when a test module sits at the top or the pytest config names
    `testpaths`."""
    modules = [
        path
        for path in files
        if path.endswith(".py")
        and posixpath.basename(path) not in ("conftest.py", "__init__.py")
        and is_test_path(path, patterns)
    ]
    if not modules or any("/" not in path for path in modules):
        return ()
    ini = pytest_ini(files, read)
    if ini is None or ini.get("testpaths"):
        return ()
    # a folder named on the command line is collected whatever ignores it: what pytest would not
    # walk into (norecursedirs) or is told to ignore (--ignore in addopts, a root conftest's
    # collect_ignore) is not named
    skipped = ini.get("norecursedirs", _PYTEST_NORECURSE)
    ignored = [*_addopts_ignores(ini.get("addopts", [])), *_conftest_ignores(read("conftest.py") or "")]
    roots = {path.split("/", 1)[0] for path in modules}
    invoked = invoked_roots(files, read)
    if invoked and roots & invoked:
        # a folder named as a test folder stays whatever the runs read here say
        roots = {root for root in roots if root in invoked or root.lower() in TEST_DIRECTORIES}
    walked = (
        root
        for root in roots
        if not any(fnmatch.fnmatch(root, glob.rstrip("/")) for glob in skipped)
        and not any(fnmatch.fnmatch(root, path.strip("./").rstrip("/")) for path in ignored)
    )
    return tuple(sorted(walked))


def _addopts_ignores(addopts: list[str]) -> list[str]:
    """The paths and globs of `--ignore` / `--ignore-glob` options in a config's addopts."""
    found = []
    for index, word in enumerate(addopts):
        option, _, value = word.partition("=")
        if option in ("--ignore", "--ignore-glob"):
            value = value or (addopts[index + 1] if index + 1 < len(addopts) else "")
            found.append(value)
    return found


def _conftest_ignores(text: str) -> list[str]:
    """The literal `collect_ignore` / `collect_ignore_glob` lists of a conftest."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AugAssign):
            targets, value = [node.target], node.value
        else:
            continue
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if names & {"collect_ignore", "collect_ignore_glob"} and isinstance(value, (ast.List, ast.Tuple)):
            found += [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return found


def pytest_ini(files: Collection[str], read: Callable[[str], str | None]) -> dict[str, list[str]] | None:
    """The list options of the pytest config at the top of the tree, from the file pytest would
    take (the first of pytest.ini, .pytest.ini, pyproject.toml with [tool.pytest.ini_options],
    tox.ini with [pytest], setup.cfg with [tool:pytest]); empty when there is none, None when the
    file pytest would take cannot be read here."""
    for name, section in _PYTEST_CONFIGS:
        text = read(name) if name in files else None
        if text is None:
            continue
        if name == "pyproject.toml":
            try:
                table = tomllib.loads(text).get("tool", {}).get("pytest", {}).get("ini_options")
            except tomllib.TOMLDecodeError:
                return None if "[tool.pytest.ini_options]" in text else {}
            if isinstance(table, dict):
                return {k: _as_list(v) for k, v in table.items() if k in _LIST_OPTIONS}
            continue
        parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"))
        try:
            parser.read_string(text)
        except configparser.Error:
            if name in ("pytest.ini", ".pytest.ini") or f"[{section}]" in text:
                return None  # pytest takes it; what it says is not known here
            continue
        if parser.has_section(section) or name in ("pytest.ini", ".pytest.ini"):
            options = parser[section] if parser.has_section(section) else {}
            return {k: options[k].split() for k in _LIST_OPTIONS if k in options}
    return {}


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value] if isinstance(value, list) else []


def collection_script(install_config: dict[str, Any], paths: Sequence[str] = ()) -> str | None:
    """The shell line that collects the recipe's tests (in `paths`, when given), or None for an
    exit-code suite."""
    parser, test_cmd = install_config["log_parser"], install_config["test_cmd"]
    if parser == "pytest":
        ignored = [f"--ignore-glob={glob}" for glob in install_config.get("collect_ignore") or ()]
        return " ".join([test_cmd, "--collect-only", "-q", *map(shlex.quote, [*ignored, *paths])])
    if parser == "unittest":
        words = shlex.split(test_cmd)
        options = {"-s": ".", "-p": "test*.py", "-t": None}
        for flag, long in (("-s", "--start-directory"), ("-p", "--pattern"), ("-t", "--top-level-directory")):
            for name in (flag, long):
                if name in words[:-1]:
                    options[flag] = words[words.index(name) + 1]
        script = _UNITTEST.format(start=options["-s"], pattern=options["-p"], top=options["-t"])
        return f"python -c {shlex.quote(script)}"
    return None


def count_tests(output: str) -> int:
    """The tests a collection's output (colours removed) reports."""
    summary = _TESTS.search(output)
    per_file = sum(int(n) for n in _PER_FILE.findall(output))  # `-qq`: a test_cmd with its own -q
    return int(summary.group(1) or summary.group(2)) if summary else len(_NODE_ID.findall(output)) or per_file


def judge_collection(exit_code: int | None, output: str) -> CollectionCheck:
    """Read a collection run's exit status and output (pytest's `--collect-only -q`, or the
    unittest discovery above), without its colours (`--color=yes` in a project's addopts)."""
    output = "\n".join(clean_lines(output))
    tests = count_tests(output)
    counted = _SUMMARY_ERRORS.findall(output)
    errors = max(len(_COLLECT_ERROR.findall(output)), max((int(n) for n in counted), default=0))
    if errors:
        reason = COLLECTION_ERRORS
    elif exit_code == 5 or (exit_code == 0 and tests == 0):
        reason = NO_TESTS
    elif exit_code != 0:
        reason = COMMAND_FAILED
    else:
        reason = VERIFIED
    return CollectionCheck(reason, tests, errors, exit_code, output)


def check_collection(
    client: docker.DockerClient,
    image: str,
    install_config: dict[str, Any],
    limits: ContainerLimits | None = None,
    log_file: Path | None = None,
    paths: Sequence[str] = (),
) -> CollectionCheck:
    """Run the collection of `install_config`'s tests in `image` (an env image, or the instance
    image at the environment commit: /testbed holds a tree of the repository with the recipe
    installed), contained like validation. `paths`: the folders to collect (`collection_paths`;
    pytest only)."""
    script = collection_script(install_config, paths)
    if script is None:
        return CollectionCheck(NOT_CHECKABLE, 0, 0, None, f"log_parser {install_config['log_parser']!r}")
    limits = limits or ContainerLimits(timeout=600.0)
    container = client.containers.create(
        image,
        command=["timeout", "--signal=KILL", str(int(limits.timeout) + 30), "bash", "-c", script],
        user=TEST_USER,
        working_dir="/testbed",
        environment={str(k): str(v) for k, v in (install_config.get("env") or {}).items()},
        **limits.container_options(),
        labels=tier_labels("verify", image=image),
    )
    try:
        with tracked(container.id):
            container.start()
            try:
                status = container.wait(timeout=limits.timeout)
                exit_code: int | None = int(status.get("StatusCode", -1))
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                container.kill()
                exit_code = None
            # as a terminal shows it: the log is read by people and by the remedies
            output = "\n".join(clean_lines(container.logs(stdout=True, stderr=True).decode(errors="replace")))
    finally:
        remove(container)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text(f"$ {script}\n{output}", encoding="utf-8")
    if exit_code is None:
        return CollectionCheck(TIMED_OUT, 0, 0, None, output)
    check = judge_collection(exit_code, output)
    log.info("collection in %s: %s (%d tests, %d errors)", image, check.reason, check.tests, check.errors)
    return check
