"""`verified/OWNER__NAME.jsonl`: one line per (repository, version), its latest verification."""

from __future__ import annotations

from pathlib import Path

from swegym_build.errors import SpecError
from swegym_build.jsonl import read_jsonl, write_jsonl_atomically
from swegym_build.records import SEPARATOR, repo_slug
from swegym_build.specs.ranges import parse_version
from swegym_build.verify.loop import EnvVerification
from swegym_build.workspace import Workspace


def verified_file(workspace: Workspace, repo: str) -> Path:
    return workspace.root / "verified" / f"{repo_slug(repo)}.jsonl"


def read_verifications(workspace: Workspace, repo: str) -> dict[str, EnvVerification]:
    """version -> its verification (an absent file is no verification)."""
    path = verified_file(workspace, repo)
    if not path.exists():
        return {}
    found = (EnvVerification.from_dict(row) for row in read_jsonl(path))
    return {v.version: v for v in found}


def write_verification(workspace: Workspace, verification: EnvVerification) -> None:
    """Replace the line of `verification`'s version (the file is rewritten whole, atomically)."""
    records = read_verifications(workspace, verification.repo)
    records[verification.version] = verification
    ordered = sorted(records.values(), key=lambda v: _version_key(v.version))
    write_jsonl_atomically(verified_file(workspace, verification.repo), (v.to_dict() for v in ordered))


def verified_repos(workspace: Workspace) -> list[str]:
    """Repositories with a verified file, as `owner/name`."""
    folder = workspace.root / "verified"
    names = sorted(p.stem for p in folder.glob("*.jsonl")) if folder.exists() else []
    return [name.replace(SEPARATOR, "/", 1) for name in names]


def _version_key(version: str) -> tuple[int, tuple[int, ...], str]:
    try:
        return (0, parse_version(version).parts, version)
    except SpecError:  # a non-numeric version sorts after the numeric ones
        return (1, (), version)
