"""Packaging metadata (pyproject.toml, setup.cfg, setup.py as text) and requirements files."""

from __future__ import annotations

import ast
import configparser
import re
import sys
from collections.abc import Iterable
from typing import Any

from swegym_build.specs.drafting.requirements import take_requirement
from swegym_build.specs.drafting.snapshot import Findings, Snapshot

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TEST_EXTRAS = ("test", "tests", "testing")
DEV_EXTRAS = ("dev", "develop")
_CLASSIFIER = re.compile(r"Programming Language :: Python :: (\d+\.\d+)\b")
_REQUIREMENTS_FILE = re.compile(
    r"^(?:[^/]*requirements[^/]*\.txt|requirements/[^/]+\.txt)$",
    re.IGNORECASE,
)
# setup.py's extras_require dict when the file does not parse: over lines up to a `}` opening one
_SETUP_PY_EXTRAS = re.compile(r"extras_require\s*=\s*(\{.*?\n\s*\})", re.DOTALL)
_EXTRA_NAME = re.compile(r"['\"]([\w.-]+)['\"]\s*:")
_TESTISH = re.compile(r"test|dev|ci", re.IGNORECASE)
_DOCSISH = re.compile(r"doc|lint|release|bench", re.IGNORECASE)


def read_metadata(snap: Snapshot, found: Findings) -> list[tuple[str, list[str]]]:
    """Extras, python_requires and runner hints into `found`; returns (file, classifier versions)."""
    classifiers: list[tuple[str, list[str]]] = []
    for reader in (_read_pyproject, _read_setup_cfg, _read_setup_py):
        listed = reader(snap, found)
        if listed is not None and listed[1]:
            classifiers.append(listed)
    return classifiers


def _read_pyproject(snap: Snapshot, found: Findings) -> tuple[str, list[str]] | None:
    text = snap.read("pyproject.toml")
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found.warn(f"pyproject.toml is not valid TOML, not read: {exc}")
        return None
    project = data.get("project", {})
    _take_requires(found, project.get("requires-python"))
    _take_extras(
        found, project.get("optional-dependencies", {}), "pyproject.toml [project.optional-dependencies]"
    )
    tool = data.get("tool", {})
    pdm = tool.get("pdm", {}) if isinstance(tool.get("pdm"), dict) else {}
    for groups, source in (
        (data.get("dependency-groups"), "pyproject.toml [dependency-groups]"),
        (pdm.get("dev-dependencies"), "pyproject.toml [tool.pdm.dev-dependencies]"),
    ):
        if isinstance(groups, dict):
            _take_groups(snap, found, groups, source)
    if "pytest" in tool:
        found.runner = found.runner or "pytest"
        found.note("test_cmd", "pyproject.toml [tool.pytest]")
    return "pyproject.toml", _classifier_versions(project.get("classifiers", []))


def _read_setup_cfg(snap: Snapshot, found: Findings) -> tuple[str, list[str]] | None:
    text = snap.read("setup.cfg")
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        found.warn(f"setup.cfg does not parse, not read: {str(exc).splitlines()[0]}")
        return None
    _take_requires(found, parser.get("options", "python_requires", fallback=None))
    if parser.has_section("options.extras_require"):
        _take_extras(
            found, dict(parser.items("options.extras_require")), "setup.cfg [options.extras_require]"
        )
    if parser.has_section("tool:pytest"):
        found.runner = found.runner or "pytest"
        found.note("test_cmd", "setup.cfg [tool:pytest]")
    return "setup.cfg", _classifier_versions(parser.get("metadata", "classifiers", fallback="").splitlines())


def _read_setup_py(snap: Snapshot, found: Findings) -> tuple[str, list[str]] | None:
    text = snap.read("setup.py")
    if text is None:
        return None
    # setup.py is code: only literal strings are trusted, nothing is evaluated
    requires = re.search(r"python_requires\s*=\s*['\"]([^'\"]+)['\"]", text)
    _take_requires(found, requires.group(1) if requires else None)
    names = setup_py_extras(text)
    if names:
        _take_extras(found, dict.fromkeys(names, ""), "setup.py extras_require")
    return "setup.py", _classifier_versions(re.findall(r"Programming Language :: Python :: [\d.]+", text))


def _take_groups(snap: Snapshot, found: Findings, groups: dict[str, Any], source: str) -> None:
    """The test groups (else the dev groups) of PEP 735 `[dependency-groups]` or PDM's dev
    dependencies, as packages: they are requirement strings, or `{include-group = ...}`."""
    names = [n for n in TEST_EXTRAS if n in groups] or [n for n in DEV_EXTRAS if n in groups]
    for name in names:
        for requirement in _group_requirements(groups, name, set()):
            take_requirement(found, requirement, f"{source} {name}", snap)


def _group_requirements(groups: dict[str, Any], name: str, seen: set[str]) -> list[str]:
    if name in seen or not isinstance(groups.get(name), list):
        return []
    seen.add(name)
    out: list[str] = []
    for item in groups[name]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
            out.extend(_group_requirements(groups, item["include-group"], seen))
    return out


def read_requirement_files(snap: Snapshot, found: Findings) -> None:
    """Requirements files at the usual places: the top-level one and the test/dev/CI ones."""
    candidates = sorted(f for f in snap.files if _REQUIREMENTS_FILE.match(f))
    named = [f for f in candidates if _TESTISH.search(f) and not _DOCSISH.search(f)]
    chosen = [f for f in candidates if f == "requirements.txt"] + named
    for name in chosen:
        found.add_requirement_file(name, "requirements files at the usual places:")
    text = " ".join(snap.read(f) or "" for f in chosen)
    if re.search(r"^\s*pytest\b", text, re.MULTILINE):
        found.runner = found.runner or "pytest"
        found.note("test_cmd", "pytest listed in requirements files")


def detect_pytest_config(snap: Snapshot, found: Findings) -> None:
    if found.runner is not None:
        return
    markers: list[str] = [f for f in ("pytest.ini", "conftest.py") if f in snap.files]
    markers += sorted(f for f in snap.files if f.endswith("/conftest.py"))[:1]
    if markers:
        found.runner = "pytest"
        found.note("test_cmd", f"pytest configuration file {markers[0]}")


def _classifier_versions(classifiers: list[str]) -> list[str]:
    return [m.group(1) for c in classifiers if (m := _CLASSIFIER.search(c))]


def _take_requires(found: Findings, requires: object) -> None:
    if isinstance(requires, str) and requires.strip() and found.requires_python is None:
        found.requires_python = requires.strip()


def _take_extras(found: Findings, extras: dict[str, Any], source: str) -> None:
    names = [n for n in TEST_EXTRAS if n in extras] or [n for n in DEV_EXTRAS if n in extras]
    found.add_extras(names, source)
    test_deps = " ".join(str(extras.get(n, "")) for n in names)
    if "pytest" in test_deps:
        found.runner = found.runner or "pytest"
        found.note("test_cmd", f"pytest in {source}")


def declared_extras(snap: Snapshot) -> list[str]:
    """Every extra the packaging files declare (not only the test ones), sorted: the candidates
    the verification loop may add or drop."""
    names: set[str] = set()
    text = snap.read("pyproject.toml")
    if text is not None:
        try:
            optional = tomllib.loads(text).get("project", {}).get("optional-dependencies", {})
        except tomllib.TOMLDecodeError:
            optional = {}
        if isinstance(optional, dict):
            names.update(str(n) for n in optional)
    text = snap.read("setup.cfg")
    if text is not None:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
            if parser.has_section("options.extras_require"):
                names.update(name for name, _ in parser.items("options.extras_require"))
        except configparser.Error:
            pass
    text = snap.read("setup.py")
    if text is not None:
        names.update(setup_py_extras(text))
    return sorted(names)


def setup_py_extras(text: str) -> list[str]:
    """The extras of setup.py's `extras_require`: the keys of its literal dict or `dict(...)`
    (given in the call, or bound to a name at the top of the file). Read with `ast`, never run."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        block = _SETUP_PY_EXTRAS.search(text)
        return _EXTRA_NAME.findall(block.group(1)) if block else []
    bound = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg != "extras_require":
                continue
            value = bound.get(keyword.value.id) if isinstance(keyword.value, ast.Name) else keyword.value
            if isinstance(value, ast.Dict):
                keys = (k.value for k in value.keys if isinstance(k, ast.Constant))
                return [k for k in keys if isinstance(k, str)]
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
                return [k.arg for k in value.keywords if k.arg]  # `dict(tests=[...])`
    return []


def requirement_files(paths: Iterable[str]) -> list[str]:
    """Requirements files at the usual places that are not for docs, linting or releases."""
    return sorted(f for f in paths if _REQUIREMENTS_FILE.match(f) and not _DOCSISH.search(f))
