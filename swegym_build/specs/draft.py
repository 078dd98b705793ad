"""A first spec for a repository that has none, read statically from git at one commit.

Nothing from the repository is executed: files are read with `git show COMMIT:path` and
parsed as text, TOML, INI or YAML. The result is a starting point for a human to edit, which is
why `write_draft` records where each value came from.
"""

from __future__ import annotations

import configparser
import logging
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from swegym_build.errors import GitError
from swegym_build.images.python_provider import python_versions_available
from swegym_build.specs.model import LogParser, RepoSpec, VersionEntry, VersionSpec
from swegym_build.specs.ranges import parse_key
from swegym_build.specs.yamlio import load_yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

log = logging.getLogger(__name__)

# First release date of each CPython minor version; a commit is assumed to have been tested on
# the newest Python that had been out for a year when it was made (new minors break old pins).
_PYTHON_RELEASES = (
    ("2.7", "2010-07-03"),
    ("3.5", "2015-09-13"),
    ("3.6", "2016-12-23"),
    ("3.7", "2018-06-27"),
    ("3.8", "2019-10-14"),
    ("3.9", "2020-10-05"),
    ("3.10", "2021-10-04"),
    ("3.11", "2022-10-24"),
    ("3.12", "2023-10-02"),
    ("3.13", "2024-10-07"),
)
_SETTLE_DAYS = 365
_TEST_EXTRAS = ("test", "tests", "testing")
_DEV_EXTRAS = ("dev", "develop")
_CLASSIFIER = re.compile(r"Programming Language :: Python :: (\d+\.\d+)\b")
_REQUIREMENTS_FILE = re.compile(
    r"^(?:[^/]*requirements[^/]*\.txt|requirements/[^/]+\.txt)$",
    re.IGNORECASE,
)
_TESTISH = re.compile(r"test|dev|ci", re.IGNORECASE)
_DOCSISH = re.compile(r"doc|lint|release|bench", re.IGNORECASE)


@dataclass
class _Findings:
    """What the static read turned up, with the source of each finding."""

    python: str | None = None
    requires_python: str | None = None
    extras: list[str] = field(default_factory=list)
    requirement_files: list[str] = field(default_factory=list)
    pip_packages: list[str] = field(default_factory=list)
    apt_packages: list[str] = field(default_factory=list)
    runner: LogParser | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    def note(self, key: str, source: str) -> None:
        self.provenance.setdefault(key, source)


class _Snapshot:
    """Read-only view of a repository at one commit, through git plumbing only."""

    def __init__(self, repo_path: Path, commit: str) -> None:
        self.repo_path = repo_path
        self.commit = commit
        self.files = set(self._git("ls-tree", "-r", "--name-only", commit).splitlines())
        self.date = datetime.fromisoformat(self._git("show", "-s", "--format=%cI", commit).strip())

    def read(self, path: str) -> str | None:
        if path not in self.files:
            return None
        return self._git("show", f"{self.commit}:{path}")

    def _git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(self.repo_path), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
        if result.returncode != 0:
            raise GitError(f"git {' '.join(args)} failed in {self.repo_path}: {result.stderr.strip()}")
        return result.stdout


def draft_spec(repo_path: Path, commit: str, repo: str) -> RepoSpec:
    """Draft a spec for `repo` from its files at `commit` in `repo_path` (a clone or bare mirror).

    Reads packaging metadata (pyproject.toml, setup.cfg, setup.py as text), requirements files,
    tox.ini, noxfile.py and GitHub workflows; one `"*"` entry covers every version. Raises
    `GitError` when the commit cannot be read.
    """
    snap = _Snapshot(repo_path, commit)
    found = _Findings()
    _read_pyproject(snap, found)
    _read_setup_cfg(snap, found)
    _read_setup_py(snap, found)
    _read_tox(snap, found)
    _read_nox(snap, found)
    _read_workflows(snap, found)
    _read_requirement_files(snap, found)
    _detect_pytest_config(snap, found)

    python = found.python or _python_for_date(snap.date, found.requires_python)
    if found.python is None:
        bound = f" within python_requires {found.requires_python!r}" if found.requires_python else ""
        found.note(
            "python",
            f"no classifier or CI matrix; newest Python out for a year by {snap.date:%Y-%m-%d}{bound}",
        )
    providable = _nearest_providable(python, found.requires_python)
    if providable != python:
        moved = f"{python} wanted, {providable} is the nearest the base images provide"
        found.provenance["python"] = (
            f"{found.provenance['python']}; {moved}" if "python" in found.provenance else moved
        )
        python = providable
    runner: LogParser = found.runner or "pytest"
    if found.runner is None:
        found.note("test_cmd", "no test runner named anywhere; pytest also runs unittest-style tests")
    install = [f"python -m pip install -r {name}" for name in found.requirement_files]
    if {"setup.py", "setup.cfg", "pyproject.toml"} & snap.files:
        extras = f"'.[{','.join(found.extras)}]'" if found.extras else "."
        install.append(f"python -m pip install -e {extras}")
        found.note("install", "editable install of the project (setup.py / setup.cfg / pyproject.toml)")
    else:
        found.note("install", "no packaging metadata: only requirements files are installed")
    pip_packages = _dedupe([*found.pip_packages, *(["pytest"] if runner == "pytest" else [])])
    spec = VersionSpec(
        repo=repo,
        version_key="*",
        python=python,
        install=tuple(install),
        test_cmd="pytest -rA" if runner == "pytest" else "python -m unittest discover -v",
        log_parser=runner,
        apt_packages=tuple(_dedupe(found.apt_packages)),
        pip_packages=tuple(pip_packages),
    )
    log.info("drafted a spec for %s at %s (python %s, %s)", repo, commit[:12], python, runner)
    return RepoSpec(
        repo=repo, entries=(VersionEntry("*", parse_key("*"), spec),), provenance=found.provenance
    )


def write_draft(spec: RepoSpec, path: Path) -> None:
    """Write `spec` as an editable YAML file that `load_spec_file` accepts.

    A header says it is a draft and lists where each value came from.
    """
    header = [
        f"# DRAFT spec for {spec.repo}, generated by swegym-build from the repository's files.",
        "# Nothing was run to check it: review every value, then delete this header.",
        "# Where the values came from:",
        *(f"#   {key}: {source}" for key, source in sorted(spec.provenance.items())),
    ]
    body: dict[str, Any] = {"repo": spec.repo}
    if spec.test_file_patterns is not None:
        body["test_file_patterns"] = list(spec.test_file_patterns)
    body["versions"] = {entry.key: _entry_dict(entry.spec) for entry in spec.entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")


def _entry_dict(spec: VersionSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {"python": spec.python}
    if spec.apt_packages:
        entry["apt_packages"] = list(spec.apt_packages)
    if spec.pre_install:
        entry["pre_install"] = list(spec.pre_install)
    entry["install"] = list(spec.install)
    if spec.pip_packages:
        entry["pip_packages"] = list(spec.pip_packages)
    if spec.pip_constraints:
        entry["pip_constraints"] = list(spec.pip_constraints)
    entry["test_cmd"] = spec.test_cmd
    entry["log_parser"] = spec.log_parser
    if spec.env:
        entry["env"] = dict(spec.env)
    return entry


def _read_pyproject(snap: _Snapshot, found: _Findings) -> None:
    text = snap.read("pyproject.toml")
    if text is None:
        return
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        log.warning("pyproject.toml at %s is not valid TOML: %s", snap.commit[:12], exc)
        return
    project = data.get("project", {})
    _take_python(found, project.get("classifiers", []), project.get("requires-python"), "pyproject.toml")
    _take_extras(
        found, project.get("optional-dependencies", {}), "pyproject.toml [project.optional-dependencies]"
    )
    if "pytest" in data.get("tool", {}):
        found.runner = found.runner or "pytest"
        found.note("test_cmd", "pyproject.toml [tool.pytest]")


def _read_setup_cfg(snap: _Snapshot, found: _Findings) -> None:
    text = snap.read("setup.cfg")
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        log.warning("setup.cfg at %s does not parse: %s", snap.commit[:12], exc)
        return
    classifiers = parser.get("metadata", "classifiers", fallback="").splitlines()
    requires = parser.get("options", "python_requires", fallback=None)
    _take_python(found, classifiers, requires, "setup.cfg")
    if parser.has_section("options.extras_require"):
        _take_extras(
            found, dict(parser.items("options.extras_require")), "setup.cfg [options.extras_require]"
        )
    if parser.has_section("tool:pytest"):
        found.runner = found.runner or "pytest"
        found.note("test_cmd", "setup.cfg [tool:pytest]")


def _read_setup_py(snap: _Snapshot, found: _Findings) -> None:
    text = snap.read("setup.py")
    if text is None:
        return
    # setup.py is code: only literal strings are trusted, nothing is evaluated
    requires = re.search(r"python_requires\s*=\s*['\"]([^'\"]+)['\"]", text)
    classifiers = re.findall(r"Programming Language :: Python :: [\d.]+", text)
    _take_python(found, classifiers, requires.group(1) if requires else None, "setup.py")
    extras_block = re.search(r"extras_require\s*=\s*(\{.*?\n\s*\})", text, re.DOTALL)
    if extras_block:
        names = re.findall(r"['\"]([\w.-]+)['\"]\s*:", extras_block.group(1))
        _take_extras(found, dict.fromkeys(names, ""), "setup.py extras_require")


def _read_tox(snap: _Snapshot, found: _Findings) -> None:
    text = snap.read("tox.ini")
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        log.warning("tox.ini at %s does not parse: %s", snap.commit[:12], exc)
        return
    if not parser.has_section("testenv"):
        return
    for line in parser.get("testenv", "deps", fallback="").splitlines():
        _take_requirement_line(found, line.replace("{toxinidir}/", ""), "tox.ini [testenv] deps")
    _take_runner(found, parser.get("testenv", "commands", fallback=""), "tox.ini [testenv] commands")


def _read_nox(snap: _Snapshot, found: _Findings) -> None:
    text = snap.read("noxfile.py")
    if text is None:
        return
    for call in re.findall(r"session\.install\(([^)]*)\)", text):
        args = re.findall(r"['\"]([^'\"]+)['\"]", call)
        _take_requirement_line(found, " ".join(args), "noxfile.py session.install")
    for call in re.findall(r"session\.run\(([^)]*)\)", text):
        _take_runner(found, " ".join(re.findall(r"['\"]([^'\"]+)['\"]", call)), "noxfile.py session.run")


def _read_workflows(snap: _Snapshot, found: _Findings) -> None:
    for path in sorted(f for f in snap.files if re.match(r"^\.github/workflows/[^/]+\.ya?ml$", f)):
        try:
            workflow = load_yaml(snap.read(path) or "")
        except yaml.YAMLError as exc:
            log.warning("%s at %s does not parse: %s", path, snap.commit[:12], exc)
            continue
        for job in (workflow or {}).get("jobs", {}).values() if isinstance(workflow, dict) else ():
            if not isinstance(job, dict):
                continue
            matrix = (job.get("strategy") or {}).get("matrix") or {}
            versions = matrix.get("python-version") if isinstance(matrix, dict) else None
            if isinstance(versions, list) and found.python is None:
                best = _newest([str(v) for v in versions])
                if best:
                    found.python = best
                    found.note("python", f"{path} matrix python-version (newest listed)")
            for step in job.get("steps") or []:
                run = step.get("run") if isinstance(step, dict) else None
                if isinstance(run, str):
                    _take_workflow_script(found, run, path, snap.files)


def _take_workflow_script(found: _Findings, script: str, path: str, files: set[str]) -> None:
    for raw in script.splitlines():
        line = raw.strip()
        if "${{" in line:
            continue
        apt = re.search(r"apt(?:-get)?\s+install\s+(.*)", line)
        if apt:
            packages = [t for t in apt.group(1).split() if not t.startswith("-")]
            found.apt_packages.extend(packages)
            if packages:
                found.note("apt_packages", f"{path} apt-get install")
        for req in re.findall(r"pip\s+install\s+.*?-r\s+(\S+)", line):
            if req not in found.requirement_files and req in files:
                found.requirement_files.append(req)
                found.note("install", f"{path} pip install -r")
        _take_runner(found, line, path)


def _read_requirement_files(snap: _Snapshot, found: _Findings) -> None:
    candidates = sorted(f for f in snap.files if _REQUIREMENTS_FILE.match(f))
    named = [f for f in candidates if _TESTISH.search(f) and not _DOCSISH.search(f)]
    chosen = [f for f in candidates if f == "requirements.txt"] + named
    for name in chosen:
        if name not in found.requirement_files:
            found.requirement_files.append(name)
    if chosen:
        found.note("install", f"requirements files {', '.join(chosen)}")
    text = " ".join(snap.read(f) or "" for f in chosen)
    if re.search(r"^\s*pytest\b", text, re.MULTILINE):
        found.runner = found.runner or "pytest"
        found.note("test_cmd", "pytest listed in requirements files")


def _detect_pytest_config(snap: _Snapshot, found: _Findings) -> None:
    if found.runner is not None:
        return
    markers = [f for f in ("pytest.ini", "conftest.py") if f in snap.files]
    markers += sorted(f for f in snap.files if f.endswith("/conftest.py"))[:1]
    if markers:
        found.runner = "pytest"
        found.note("test_cmd", f"pytest configuration file {markers[0]}")


def _take_python(found: _Findings, classifiers: list[str], requires: str | None, source: str) -> None:
    # classifiers name the versions the project was tested on, a better guide than a lower bound
    best = _newest([m.group(1) for c in classifiers if (m := _CLASSIFIER.search(c))])
    if best and found.python is None:
        found.python = best
        found.note("python", f"{source} classifiers (newest listed)")
    if requires and found.requires_python is None:
        found.requires_python = requires


def _take_extras(found: _Findings, extras: dict[str, Any], source: str) -> None:
    names = [n for n in _TEST_EXTRAS if n in extras] or [n for n in _DEV_EXTRAS if n in extras]
    for name in names:
        if name not in found.extras:
            found.extras.append(name)
    if names:
        found.note("install", f"{source} extras {', '.join(names)}")
    test_deps = " ".join(str(extras.get(n, "")) for n in names)
    if "pytest" in test_deps:
        found.runner = found.runner or "pytest"
        found.note("test_cmd", f"pytest in {source}")


def _take_requirement_line(found: _Findings, line: str, source: str) -> None:
    tokens = line.split()
    if not tokens:
        return
    if tokens[0] == "-r" and len(tokens) > 1:
        if tokens[1] not in found.requirement_files:
            found.requirement_files.append(tokens[1])
            found.note("install", f"{source} -r {tokens[1]}")
        return
    # options, the project itself and substitutions are left to the install command
    packages = [t for t in tokens if not t.startswith(("-", ".", "{")) and "/" not in t]
    found.pip_packages.extend(packages)
    if packages:
        found.note("pip_packages", source)
        if any(re.match(r"pytest\b", p) for p in packages) and found.runner is None:
            found.runner = "pytest"
            found.note("test_cmd", f"pytest in {source}")


def _take_runner(found: _Findings, commands: str, source: str) -> None:
    if found.runner is not None:
        return
    if re.search(r"(^|\s|-m\s+)(py\.test|pytest)\b", commands):
        found.runner = "pytest"
        found.note("test_cmd", source)
    elif re.search(r"-m\s+unittest\b|\bunittest\s+discover\b", commands):
        found.runner = "unittest"
        found.note("test_cmd", source)


def _python_for_date(when: datetime, requires: str | None) -> str:
    """The newest Python settled by `when`, kept within the bounds of `requires` when given."""
    moment = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    settled = [
        v
        for v, released in _PYTHON_RELEASES
        if (moment - datetime.fromisoformat(released).replace(tzinfo=timezone.utc)).days >= _SETTLE_DAYS
    ]
    allowed = [v for v, _ in _PYTHON_RELEASES if _allowed(v, requires)]
    choices = [v for v in settled if v in allowed]
    if choices:
        return choices[-1]
    return allowed[0] if allowed else _PYTHON_RELEASES[-1][0]


def _nearest_providable(wanted: str, requires: str | None) -> str:
    """`wanted` if the base tier can provide it, else the nearest version it can (older first on a
    tie) within `requires`; `wanted` itself when none fits, so the build says why it cannot."""
    candidates = [v for v in python_versions_available() if _allowed(v, requires)]
    if wanted in candidates or not candidates:
        return wanted
    goal = _as_tuple(wanted)
    return min(
        candidates,
        key=lambda v: (
            abs(_as_tuple(v)[1] - goal[1]) if _as_tuple(v)[0] == goal[0] else 99,
            _as_tuple(v) > goal,
        ),
    )


def _allowed(version: str, requires: str | None) -> bool:
    if not requires:
        return True
    key = _as_tuple(version)
    for clause in requires.split(","):
        match = re.match(r"\s*(>=|<=|==|!=|>|<|~=)\s*(\d+(?:\.\d+)*)", clause)
        if not match:
            continue
        op, bound = match.group(1), _as_tuple(match.group(2))
        # compare on the precision the bound is written in: "<3.12" is about minor versions
        ours = key[: len(bound)] + (0,) * (len(bound) - len(key))
        ok = {
            ">=": ours >= bound,
            ">": ours > bound,
            "<=": ours <= bound,
            "<": ours < bound,
            "==": ours == bound,
            "!=": ours != bound,
            "~=": ours >= bound,
        }[op]
        if not ok:
            return False
    return True


def _newest(versions: list[str]) -> str | None:
    usable = [v for v in versions if re.match(r"^\d+\.\d+$", v)]
    return max(usable, key=_as_tuple) if usable else None


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
