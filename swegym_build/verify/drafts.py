"""Verified recipes written back into `spec-drafts/OWNER__NAME.yaml`, ready to copy into `specs/`.

The versions stage drafts one entry per era; the build verifies each version. Where every
verified version of an entry won with the same recipe, the entry becomes that recipe; where they
differ, a version whose winner is not the entry's gets an exact key of its own (nested in the
entry, so the most specific match picks it). Each entry says when and for which versions it was
verified (`verified:`); versions that did not verify are listed in the header.
"""

from __future__ import annotations

import logging
from typing import Any

import yaml

from swegym_build.errors import SpecError
from swegym_build.specs import load_spec_file
from swegym_build.specs.draft import entry_fields
from swegym_build.specs.model import VersionSpec
from swegym_build.specs.ranges import parse_version
from swegym_build.verify.loop import FAILED
from swegym_build.verify.records import read_verifications
from swegym_build.versions.scm import PRETEND_VERSION_ENV
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

MARK = "# Verified by `swegym-build build`"


def recipe_fields(recipe: dict[str, Any]) -> dict[str, Any]:
    """An install_config as the fields of a spec entry (the per-version pretend version left out)."""
    spec = VersionSpec(
        repo=str(recipe["repo"]),
        version_key=str(recipe["version_key"]),
        python=str(recipe["python"]),
        install=tuple(recipe["install"]),
        test_cmd=str(recipe["test_cmd"]),
        log_parser=recipe["log_parser"],
        apt_packages=tuple(recipe["apt_packages"]),
        pre_install=tuple(recipe["pre_install"]),
        pip_packages=tuple(recipe["pip_packages"]),
        pip_constraints=tuple(recipe["pip_constraints"]),
        env={k: v for k, v in recipe["env"].items() if k != PRETEND_VERSION_ENV},
        collect_ignore=tuple(recipe.get("collect_ignore") or ()),
    )
    fields = entry_fields(spec)
    if spec.test_cmd.startswith("pytest"):
        fields["pytest_as_module"] = False  # the console script won: keep it as it is
    return fields


def write_verified_drafts(workspace: Workspace, repo: str) -> None:
    """Rewrite the draft of `repo` with its verified recipes (nothing when there is no draft)."""
    path = workspace.draft_spec_file(repo)
    if not path.exists():
        return
    try:
        spec = load_spec_file(path)
    except SpecError as error:
        log.warning("%s: not updated with verified recipes: %s", path, error)
        return
    records = [v for v in read_verifications(workspace, repo).values() if v.origin == "drafted"]
    text = path.read_text(encoding="utf-8")
    header = [
        line
        for line in _leading_comments(text)
        if not line.startswith(MARK) and not line.startswith("#   ! ")
    ]
    body = yaml.safe_load(text)
    versions: dict[str, dict[str, Any]] = body["versions"]
    notes: list[str] = []
    for entry in spec.entries:
        won = {
            v.version: v for v in records if v.recipe is not None and v.recipe.get("version_key") == entry.key
        }
        if not won:
            continue
        recipes = {v.version: recipe_fields(v.recipe or {}) for v in won.values()}
        first = recipes[min(won, key=_version_order)]
        if all(r == first for r in recipes.values()):
            versions[entry.key] = {**first, "verified": _mark(won.values())}
            continue
        # the draft itself won for these; the others get exact keys of their own
        drafted = {v: recipe_fields(won[v].first_recipe) for v in won}
        same = [won[v] for v, fields in recipes.items() if fields == drafted[v]]
        if same:
            versions[entry.key] = {**versions[entry.key], "verified": _mark(same)}
        for version, fields in sorted(recipes.items(), key=lambda item: _version_order(item[0])):
            if fields != drafted[version]:
                versions[version] = {**fields, "verified": _mark([won[version]])}
    for record in sorted(records, key=lambda v: _version_order(v.version)):
        if record.status == FAILED:
            notes.append(
                f"#   ! {record.version}: not verified ({len(record.attempts)} attempts, {record.stopped})"
            )
    verified = sorted({v.version for v in records if v.recipe is not None}, key=_version_order)
    header.append(f"{MARK}: versions {', '.join(verified) or 'none'} (see verified/ in the workspace)")
    header += notes
    dumped = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=110)
    path.write_text("\n".join(header) + "\n" + dumped, encoding="utf-8")
    load_spec_file(path)  # what was written must load: a key that breaks nesting is a bug here


def _mark(verifications: Any) -> str:
    chosen = sorted(verifications, key=lambda v: _version_order(v.version))
    described = ", ".join(f"{v.version} ({v.winner.label})" for v in chosen if v.winner)
    return f"{max(v.date for v in chosen)}: {described}"


def _leading_comments(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


def _version_order(version: str) -> tuple[int, ...]:
    try:
        return parse_version(version).parts
    except SpecError:
        return ()
