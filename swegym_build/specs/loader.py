"""Find, read and check spec files: `specs/OWNER__NAME.yaml`."""

from __future__ import annotations

import logging
import os
from itertools import combinations
from pathlib import Path
from typing import Any

import pydantic
import yaml

from swegym_build.errors import SpecError
from swegym_build.records import TestCases, repo_slug
from swegym_build.specs.model import RepoSpec, VersionEntry, VersionSpec
from swegym_build.specs.ranges import parse_key
from swegym_build.specs.schema import SpecFile, VersionFields
from swegym_build.specs.yamlio import load_yaml

log = logging.getLogger(__name__)

SPECS_DIR_ENV = "SWEGYM_SPECS_DIR"
_REQUIRED = ("python", "install", "test_cmd", "log_parser")


def default_specs_dir() -> Path:
    """`$SWEGYM_SPECS_DIR` if set, else the `specs/` folder at the top of this checkout."""
    configured = os.environ.get(SPECS_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "specs"


def load_spec(repo: str, specs_dir: Path | None = None) -> RepoSpec | None:
    """The spec for `repo` (`owner/name`), or `None` when the folder has no file for it.

    The file name is `owner__name.yaml`; a case-insensitive match is accepted because GitHub
    names are. Raises `SpecError` when the file is invalid or the folder does not exist.
    """
    folder = specs_dir if specs_dir is not None else default_specs_dir()
    if not folder.is_dir():
        raise SpecError(f"specs directory {folder} does not exist; set {SPECS_DIR_ENV} or pass specs_dir")
    wanted = f"{repo_slug(repo)}.yaml"
    path = folder / wanted
    if not path.is_file():
        path = next((p for p in sorted(folder.glob("*.yaml")) if p.name.lower() == wanted.lower()), path)
    if not path.is_file():
        log.debug("no spec for %s in %s", repo, folder)
        return None
    return load_spec_file(path)


def load_spec_file(path: Path | str) -> RepoSpec:
    """Read and validate one spec file.

    Raises `SpecError` naming the file, the key and the version range at fault.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec file: {exc}") from exc
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: a spec file must be a mapping with 'repo' and 'versions' keys")
    try:
        parsed = SpecFile.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise SpecError(f"{path}: invalid spec:\n{_describe(exc)}") from exc
    expected = f"{repo_slug(parsed.repo)}.yaml"
    if path.name.lower() != expected.lower():
        raise SpecError(f"{path}: key 'repo' is {parsed.repo!r}, so the file must be named {expected}")
    return _build(parsed, path)


def validate_all(specs_dir: Path | None = None) -> list[RepoSpec]:
    """Load every `*.yaml` in the folder; raise one `SpecError` listing every broken file."""
    folder = specs_dir if specs_dir is not None else default_specs_dir()
    specs: list[RepoSpec] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            specs.append(load_spec_file(path))
        except SpecError as exc:
            problems.append(str(exc))
    if problems:
        raise SpecError(f"{len(problems)} invalid spec file(s) in {folder}:\n" + "\n".join(problems))
    log.info("validated %d spec files in %s", len(specs), folder)
    return specs


def _build(parsed: SpecFile, path: Path) -> RepoSpec:
    entries = []
    for key, fields in parsed.versions.items():
        try:
            selectors = parse_key(key)
        except SpecError as exc:
            raise SpecError(f"{path}: versions: {exc}") from exc
        entries.append(VersionEntry(key, selectors, _resolve(parsed, key, fields, path)))
    _check_nesting(entries, path)
    override = parsed.version
    return RepoSpec(
        repo=parsed.repo,
        entries=tuple(entries),
        test_file_patterns=parsed.test_file_patterns,
        version_file=override.file if override else None,
        version_pattern=override.pattern if override else None,
        version_tag_pattern=override.tag_pattern if override else None,
        source=path,
    )


def _resolve(parsed: SpecFile, key: str, fields: VersionFields, path: Path) -> VersionSpec:
    # A field set in the entry replaces the default as a whole (lists and env included), so an
    # entry reads the same wherever it is moved.
    defaults = parsed.defaults.model_dump()
    merged: dict[str, Any] = {
        name: value if value is not None else defaults[name] for name, value in fields.model_dump().items()
    }
    missing = [name for name in _REQUIRED if merged[name] is None]
    if missing:
        raise SpecError(
            f"{path}: version range {key!r} has no {', '.join(missing)} "
            "(set it in the entry or in 'defaults')"
        )
    return VersionSpec(
        repo=parsed.repo,
        version_key=key,
        python=merged["python"],
        install=tuple(merged["install"]),
        test_cmd=merged["test_cmd"],
        log_parser=merged["log_parser"],
        apt_packages=tuple(merged["apt_packages"] or ()),
        pre_install=tuple(merged["pre_install"] or ()),
        pip_packages=tuple(merged["pip_packages"] or ()),
        pip_constraints=tuple(merged["pip_constraints"] or ()),
        env=dict(merged["env"] or {}),
        pytest_as_module=merged["pytest_as_module"] is not False,
        test_cases=TestCases.from_dict(merged["test_cases"]),
        collect_ignore=tuple(merged["collect_ignore"] or ()),
    )


def _check_nesting(entries: list[VersionEntry], path: Path) -> None:
    # Nested-or-disjoint keys make "the most specific match" well defined; a partial overlap
    # (1.0-2.0 with 1.5-3.0) would leave 1.7 to whichever key happened to come first.
    for first, second in combinations(entries, 2):
        for a in first.selectors:
            for b in second.selectors:
                if not a.overlaps(b):
                    continue
                if a.contains(b) and b.contains(a):
                    raise SpecError(
                        f"{path}: version ranges {first.key!r} and {second.key!r} both cover exactly "
                        f"{a.text!r}; merge them"
                    )
                if not (a.contains(b) or b.contains(a)):
                    raise SpecError(
                        f"{path}: version ranges {first.key!r} ({a.text}) and {second.key!r} ({b.text}) "
                        "partly overlap; make one contain the other or split them"
                    )


def _describe(exc: pydantic.ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        if len(loc) >= 2 and loc[0] == "versions":
            where = f"version range {loc[1]!r}, key {'.'.join(loc[2:]) or '(entry)'!r}"
        else:
            where = f"key {'.'.join(loc) or '(top level)'!r}"
        lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)
