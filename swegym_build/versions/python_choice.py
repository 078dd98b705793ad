"""Which Python an environment gets: the spec's, or, when no provider has it, the nearest the project allows.

Decided in the versions stage, once per (repository, version), so that a build never finds out
that its Python cannot be had. The project's own word on its Pythons is read statically at the
environment commit: `requires-python` (pyproject.toml), `python_requires` (setup.cfg, setup.py)
and the `Programming Language :: Python :: 3.X` classifiers. A requirement bounds the choice; listed
classifiers narrow it to the versions the project said it supports. When no provider has any of
those, the nearest that the requirement alone allows (any, without one) is taken: classifiers lag
behind releases (nothing enforces them, while pip enforces `requires-python`), and the
environment's verification then decides whether the project runs on it.
"""

from __future__ import annotations

import configparser
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from swegym_build.cache import cache_dir
from swegym_build.gitread import CommitTree
from swegym_build.pythons.provider import KNOWN_PYTHONS, ProvidedPython, provide_python, python_minor
from swegym_build.pythons.uv_python import PythonDownloads

Fallback = Literal["nearest", "fail"]
FALLBACKS: tuple[Fallback, ...] = ("nearest", "fail")

_CLASSIFIER = re.compile(r"Programming Language :: Python :: (3\.\d+)\b")
_SETUP_PY_REQUIRES = re.compile(r"""python_requires\s*=\s*['"]([^'"]+)['"]""")


@dataclass(frozen=True)
class ProjectPythons:
    """What a commit says about the Pythons it runs on."""

    requires: str | None  # e.g. ">=3.8"
    classifiers: tuple[str, ...]  # e.g. ("3.8", "3.9")
    source: str  # the files it was read from, for messages

    def allows(self, version: str) -> bool:
        if self.classifiers and version not in self.classifiers:
            return False
        return self.requires_allows(version)

    def requires_allows(self, version: str) -> bool:
        """Whether the requirement alone (what pip enforces) admits `version`; classifiers aside."""
        if not self.requires:
            return True
        try:
            spec = SpecifierSet(self.requires)
        except InvalidSpecifier:
            return True  # an unreadable bound constrains nothing we can check
        # A minor version is allowed when one of its releases is (">3.8" still allows 3.8.1).
        return any(spec.contains(f"{version}.{patch}", prereleases=True) for patch in (0, 1, 99))

    @property
    def description(self) -> str:
        parts = []
        if self.requires:
            parts.append(f"requires-python {self.requires!r}")
        if self.classifiers:
            parts.append(f"classifiers {', '.join(self.classifiers)}")
        return f"{' and '.join(parts)} ({self.source})" if parts else "no supported Pythons declared"


@dataclass(frozen=True)
class PythonChoice:
    """The Python an environment gets; `python != requested` is a substitution."""

    requested: str
    python: str | None  # None: no provider has one the project allows
    provided: ProvidedPython | None
    reason: str  # why this one (or why none)

    @property
    def substituted(self) -> bool:
        return self.python is not None and self.python != self.requested


def project_pythons(mirror: Path, commit: str) -> ProjectPythons:
    """The Python bounds the packaging files declare at `commit` (read statically, nothing runs)."""
    tree = CommitTree(mirror, commit)
    requires: str | None = None
    classifiers: list[str] = []
    sources: list[str] = []
    text = tree.read("pyproject.toml")
    if text is not None:
        try:
            project = tomllib.loads(text).get("project", {})
        except tomllib.TOMLDecodeError:
            project = {}
        if isinstance(project.get("requires-python"), str):
            requires = project["requires-python"]
        classifiers += _CLASSIFIER.findall("\n".join(str(c) for c in project.get("classifiers", [])))
        if requires or classifiers:
            sources.append("pyproject.toml")
    text = tree.read("setup.cfg")
    if text is not None:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
        except configparser.Error:
            parser = configparser.ConfigParser()
        found = parser.get("options", "python_requires", fallback=None)
        listed = _CLASSIFIER.findall(parser.get("metadata", "classifiers", fallback=""))
        requires = requires or (found.strip() if found else None)
        classifiers += listed
        if found or listed:
            sources.append("setup.cfg")
    text = tree.read("setup.py")
    if text is not None:
        match = _SETUP_PY_REQUIRES.search(text)
        listed = _CLASSIFIER.findall(text)
        requires = requires or (match.group(1) if match else None)
        classifiers += listed
        if match or listed:
            sources.append("setup.py")
    unique = tuple(sorted(set(classifiers), key=_key))
    return ProjectPythons(requires, unique, ", ".join(sources) + f" at {commit[:12]}")


def choose_python(
    requested: str,
    project: ProjectPythons,
    workdir: Path,
    downloads: PythonDownloads,
    fallback: Fallback = "nearest",
) -> PythonChoice:
    """The spec's Python if a provider has it; else per `fallback` the nearest the project allows."""
    wanted = python_minor(requested)
    cache = cache_dir(workdir)
    exact = provide_python(wanted, cache, downloads)
    if isinstance(exact, ProvidedPython):
        return PythonChoice(wanted, wanted, exact, f"as the spec asks ({exact.description})")
    if fallback == "fail":
        return PythonChoice(wanted, None, None, f"{exact}; --python-fallback fail allows no substitute")
    listed = [v for v in KNOWN_PYTHONS if v != wanted and project.allows(v)]
    for version in _nearest_first(listed, wanted):
        provided = provide_python(version, cache, downloads)
        if isinstance(provided, ProvidedPython):
            why = (
                f"{wanted} cannot be had ({exact}); {version} is the nearest that "
                f"{project.description} allows ({provided.description})"
            )
            return PythonChoice(wanted, version, provided, why)
    allowed = ", ".join(v for v in KNOWN_PYTHONS if project.allows(v)) or "none"
    if project.classifiers:
        unlisted = [
            v for v in KNOWN_PYTHONS if v != wanted and v not in listed and project.requires_allows(v)
        ]
        bound = (
            f"requires-python {project.requires!r} alone allows"
            if project.requires
            else "has no requires-python"
        )
        for version in _nearest_first(unlisted, wanted):
            provided = provide_python(version, cache, downloads)
            if isinstance(provided, ProvidedPython):
                why = (
                    f"{wanted} cannot be had ({exact}), nor another of {project.description} "
                    f"(allowed: {allowed}); {version} is the nearest beyond the classifiers, which pip "
                    f"does not enforce ({bound}): the recipe's verification decides ({provided.description})"
                )
                return PythonChoice(wanted, version, provided, why)
    return PythonChoice(
        wanted,
        None,
        None,
        f"{exact}; and no provider has another Python that {project.description} allows (allowed: {allowed})",
    )


def _nearest_first(versions: list[str], wanted: str) -> list[str]:
    """Nearest minor first; on a tie the older one, which the project's dependencies of its day knew."""
    goal = _key(wanted)
    return sorted(versions, key=lambda v: (abs(_key(v)[1] - goal[1]), _key(v) > goal))


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
