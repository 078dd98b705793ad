"""Find the version a commit declares, reading its files statically (never running them).

Search order, first real (non-placeholder) version wins:

1. The project's own package (named after the distribution in pyproject.toml, setup.cfg or
   setup.py): `__init__.py`, `_version.py`, `version.py`, `__about__.py`, `__pkginfo__.py`,
   `release.py`, following `from .x import __version__` re-exports. This is what
   `pkg.__version__` reports and what SWE-bench labels; packaging metadata can be stale (moto's
   setup.cfg said 4.1.0.dev while `moto.__version__` was 5.0.3.dev).
2. Packaging metadata: pyproject.toml (`[project] version`, `[tool.poetry] version`,
   `[tool.setuptools.dynamic] version = {attr|file}`, `[tool.hatch.version] path`,
   `[tool.pdm.version] path`), setup.cfg (`version = 1.2`, `attr:`, `file:`), setup.py
   (`setup(version=...)` evaluated, imported names followed, and files the script reads).
3. Any top-level package's version files, then `VERSION`/`version.txt` at the root.

Placeholders (`0.0.0`, `unknown`) are skipped, so tag-versioned projects come back as None and
the caller falls back to tags.
"""

from __future__ import annotations

import ast
import configparser
import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from swegym_build.gitread import CommitTree
from swegym_build.versions.normalize import is_placeholder
from swegym_build.versions.pyexpr import (
    VERSION_NAMES,
    ImportRef,
    evaluate_in_module,
    string_arguments,
    version_candidates,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

logger = logging.getLogger(__name__)

PACKAGE_VERSION_FILES = (
    "__init__.py",
    "_version.py",
    "version.py",
    "__about__.py",
    "__pkginfo__.py",
    "release.py",
)
ROOT_VERSION_FILES = ("VERSION", "VERSION.txt", "version.txt")
_SOURCE_ROOTS = ("", "src/")
_NOT_PACKAGES = frozenset(
    {
        "test",
        "tests",
        "testing",
        "doc",
        "docs",
        "example",
        "examples",
        "benchmark",
        "benchmarks",
        "script",
        "scripts",
        "tools",
        "ci",
        "build",
        "dist",
        "setup",
        "conftest",
    }
)
_MAX_IMPORT_DEPTH = 4
_TEXT_VERSION = re.compile(r"^\s*[vV]?\d+(\.\d+)+\S*\s*$")
_SETUP_PY_REGEX = re.compile(r"""\bversion\s*=\s*['"]([^'"\n]+)['"]""")


@dataclass(frozen=True)
class Declared:
    """A version string found in the tree and the file it was found in."""

    raw: str
    source: str


def find_declared_version(tree: CommitTree) -> Declared | None:
    """The version `tree` declares, or None when it declares none (or only a placeholder)."""
    project = _ProjectFiles.read(tree)
    searches: list[Callable[[], Iterable[Declared | None]]] = [
        lambda: _from_packages(tree, project.package_names()),
        lambda: project.metadata_versions(),
        lambda: _from_packages(tree, _top_level_packages(tree)),
        lambda: (_read_text_version(tree, path) for path in ROOT_VERSION_FILES),
    ]
    for search in searches:
        for declared in search():
            if declared is not None:
                logger.debug("%s: version %r from %s", tree.commit[:12], declared.raw, declared.source)
                return declared
    return None


def read_python_version(
    tree: CommitTree, path: str, names: tuple[str, ...] = VERSION_NAMES, depth: int = 0
) -> Declared | None:
    """The version a Python file binds to one of `names`, following imports into other files."""
    source = tree.read(path)
    if source is None:
        return None
    for _name, found in version_candidates(source, names):
        if isinstance(found, ImportRef):
            target = _module_file(tree, found, importer=path)
            if target is not None and depth < _MAX_IMPORT_DEPTH:
                declared = read_python_version(tree, target, (found.name,), depth + 1)
                if declared is not None:
                    return declared
        elif not is_placeholder(found):
            return Declared(found, path)
    return None


def _read_text_version(tree: CommitTree, path: str) -> Declared | None:
    """A plain `VERSION` file: its first non-empty line, if that is a version."""
    text = tree.read(path)
    if text is None:
        return None
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if _TEXT_VERSION.match(line) and not is_placeholder(line):
        return Declared(line, path)
    return None


def _read_any_version(tree: CommitTree, path: str, names: tuple[str, ...] = VERSION_NAMES) -> Declared | None:
    if path.endswith(".py"):
        return read_python_version(tree, path, names)
    return _read_text_version(tree, path)


def _from_packages(tree: CommitTree, packages: Iterable[str]) -> Iterator[Declared | None]:
    for package in packages:
        for root in _SOURCE_ROOTS:
            for filename in PACKAGE_VERSION_FILES:
                yield read_python_version(tree, f"{root}{package}/{filename}")


def _top_level_packages(tree: CommitTree) -> list[str]:
    packages = set()
    for path in tree.paths:
        parts = path.split("/")
        if parts[0] == "src" and len(parts) == 3 and parts[2] == "__init__.py":
            packages.add(parts[1])
        elif len(parts) == 2 and parts[1] == "__init__.py":
            packages.add(parts[0])
    return sorted(p for p in packages if p.lower() not in _NOT_PACKAGES and not p.startswith((".", "_")))


def _module_file(tree: CommitTree, ref: ImportRef, importer: str) -> str | None:
    """The file that defines module `ref` imported from `importer`, if it is in the tree."""
    parts = [part for part in ref.module.split(".") if part]
    if ref.level:
        base = PurePosixPath(importer).parent
        for _ in range(ref.level - 1):
            base = base.parent
        stems = [base.joinpath(*parts)]
    elif parts:
        stems = [PurePosixPath(root or ".").joinpath(*parts) for root in _SOURCE_ROOTS]
    else:
        return None
    for stem in stems:
        candidates = [f"{stem}/__init__.py"] if not parts else [f"{stem}.py", f"{stem}/__init__.py"]
        for candidate in candidates:
            normalized = str(PurePosixPath(candidate))
            if tree.exists(normalized):
                return normalized
    return None


def _from_attr(tree: CommitTree, spec: str) -> Declared | None:
    """`attr: pkg.mod.__version__` (setup.cfg) or `{attr = "pkg.__version__"}` (pyproject)."""
    module, _, attribute = spec.strip().rpartition(".")
    if not module or not attribute:
        return None
    target = _module_file(tree, ImportRef(module, 0, attribute), importer="setup.py")
    return read_python_version(tree, target, (attribute,)) if target is not None else None


def _from_files(tree: CommitTree, files: object) -> Iterator[Declared | None]:
    """`file: VERSION` (setup.cfg, comma separated) or `{file = [...]}` (pyproject)."""
    names = files.split(",") if isinstance(files, str) else files if isinstance(files, list) else []
    for name in names:
        if isinstance(name, str):
            yield _read_any_version(tree, name.strip())


def _declared_literal(value: object, source: str) -> Declared | None:
    if isinstance(value, str) and not is_placeholder(value):
        return Declared(value.strip(), source)
    return None


@dataclass
class _ProjectFiles:
    """The packaging files of a commit, parsed once."""

    tree: CommitTree
    pyproject: dict[str, Any]
    setup_cfg: configparser.ConfigParser
    setup_py: ast.Module | None
    setup_py_text: str | None

    @classmethod
    def read(cls, tree: CommitTree) -> _ProjectFiles:
        pyproject: dict[str, Any] = {}
        text = tree.read("pyproject.toml")
        if text is not None:
            try:
                pyproject = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                logger.info("%s: unreadable pyproject.toml (%s)", tree.commit[:12], exc)
        setup_cfg = configparser.ConfigParser(interpolation=None, strict=False)
        text = tree.read("setup.cfg")
        if text is not None:
            try:
                setup_cfg.read_string(text)
            except configparser.Error as exc:
                logger.info("%s: unreadable setup.cfg (%s)", tree.commit[:12], exc)
        setup_py_text = tree.read("setup.py")
        setup_py = None
        if setup_py_text is not None:
            try:
                setup_py = ast.parse(setup_py_text)
            except (SyntaxError, ValueError):
                # Python 2 era setup scripts; a regex still finds a literal version.
                logger.debug("%s: setup.py does not parse as Python 3", tree.commit[:12])
        return cls(tree, pyproject, setup_cfg, setup_py, setup_py_text)

    def package_names(self) -> list[str]:
        """Import names the distribution probably uses: `Foo-Bar` -> `foo_bar`."""
        names = [
            self.pyproject.get("project", {}).get("name"),
            self.pyproject.get("tool", {}).get("poetry", {}).get("name"),
            self.setup_cfg.get("metadata", "name", fallback=None),
            self._setup_keyword("name"),
        ]
        packages: list[str] = []
        for name in names:
            if isinstance(name, str) and name.strip():
                package = re.sub(r"[-.]+", "_", name.strip()).lower()
                if package not in packages:
                    packages.append(package)
        return packages

    def metadata_versions(self) -> Iterator[Declared | None]:
        """Versions declared by pyproject.toml, setup.cfg and setup.py, in that order."""
        project = self.pyproject.get("project", {})
        tool = self.pyproject.get("tool", {})
        yield _declared_literal(project.get("version"), "pyproject.toml")
        yield _declared_literal(tool.get("poetry", {}).get("version"), "pyproject.toml")
        dynamic = tool.get("setuptools", {}).get("dynamic", {}).get("version", {})
        if isinstance(dynamic, dict):
            if isinstance(dynamic.get("attr"), str):
                yield _from_attr(self.tree, dynamic["attr"])
            yield from _from_files(self.tree, dynamic.get("file"))
        for section in (tool.get("hatch", {}).get("version", {}), tool.get("pdm", {}).get("version", {})):
            if isinstance(section, dict) and isinstance(section.get("path"), str):
                yield _read_any_version(self.tree, section["path"])
        yield from self._setup_cfg_version()
        yield from self._setup_py_versions()

    def _setup_cfg_version(self) -> Iterator[Declared | None]:
        value = self.setup_cfg.get("metadata", "version", fallback=None)
        if value is None:
            return
        value = value.strip()
        if value.startswith("attr:"):
            yield _from_attr(self.tree, value.removeprefix("attr:"))
        elif value.startswith("file:"):
            yield from _from_files(self.tree, value.removeprefix("file:"))
        else:
            yield _declared_literal(value, "setup.cfg")

    def _setup_py_versions(self) -> Iterator[Declared | None]:
        if self.setup_py_text is None:
            return
        if self.setup_py is None:
            match = _SETUP_PY_REGEX.search(self.setup_py_text)
            yield _declared_literal(match.group(1), "setup.py") if match else None
            return
        keyword = self._setup_call_keyword("version")
        if keyword is not None:
            found = evaluate_in_module(self.setup_py, keyword)
            if isinstance(found, ImportRef):
                target = _module_file(self.tree, found, importer="setup.py")
                yield read_python_version(self.tree, target, (found.name,)) if target else None
            else:
                yield _declared_literal(found, "setup.py")
        # `version=get_version()` and friends read a file; the constant parts of the calls in the
        # script name it (`os.path.join(here, "conans", "__init__.py")`).
        for parts in string_arguments(self.setup_py):
            path = str(PurePosixPath(*parts))
            if path != "setup.py" and self.tree.exists(path):
                yield _read_any_version(self.tree, path)

    def _setup_call_keyword(self, name: str) -> ast.expr | None:
        if self.setup_py is None:
            return None
        for node in ast.walk(self.setup_py):
            if isinstance(node, ast.Call) and _is_setup_call(node.func):
                for keyword in node.keywords:
                    if keyword.arg == name:
                        return keyword.value
        return None

    def _setup_keyword(self, name: str) -> str | None:
        keyword = self._setup_call_keyword(name)
        if keyword is None or self.setup_py is None:
            return None
        found = evaluate_in_module(self.setup_py, keyword)
        return found if isinstance(found, str) else _constant_string(keyword)


def _constant_string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_setup_call(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "setup") or (
        isinstance(func, ast.Attribute) and func.attr == "setup"
    )
