"""The workspace folder every stage reads and writes (default `data/`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from swegym_build.records import SEPARATOR, repo_slug

WORKDIR_ENV = "SWEGYM_WORKDIR"
DEFAULT_WORKDIR = Path("data")


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def resolve(cls, workdir: str | Path | None = None) -> Workspace:
        """`--workdir`, else `$SWEGYM_WORKDIR`, else `./data`; created on first use."""
        chosen = Path(workdir) if workdir else Path(os.environ.get(WORKDIR_ENV) or DEFAULT_WORKDIR)
        root = chosen.expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    @property
    def state_db(self) -> Path:
        return self.root / "state.sqlite"

    @property
    def http_cache_db(self) -> Path:
        return self.root / "http-cache.sqlite"

    def mirror_dir(self, repo: str) -> Path:
        return self.root / "repos" / f"{repo_slug(repo)}.git"

    def known_items_db(self, repo: str) -> Path:
        """The issues list as `mine` last saw it, and the mark its next listing starts from."""
        return self.root / "listing" / f"{repo_slug(repo)}.sqlite"

    def raw_file(self, repo: str) -> Path:
        return self.root / "raw" / f"{repo_slug(repo)}.jsonl"

    def versioned_file(self, repo: str) -> Path:
        return self.root / "versioned" / f"{repo_slug(repo)}.jsonl"

    def built_file(self, repo: str) -> Path:
        return self.root / "built" / f"{repo_slug(repo)}.jsonl"

    def validated_file(self, repo: str) -> Path:
        return self.root / "validated" / f"{repo_slug(repo)}.jsonl"

    def published_file(self, dataset: str) -> Path:
        return self.root / "published" / f"{repo_slug(dataset)}.jsonl"

    def draft_spec_file(self, repo: str) -> Path:
        return self.root / "spec-drafts" / f"{repo_slug(repo)}.yaml"

    def raw_repos(self) -> list[str]:
        """Repositories with a raw file, as `owner/name`."""
        folder = self.root / "raw"
        names = sorted(p.stem for p in folder.glob("*.jsonl")) if folder.exists() else []
        return [name.replace(SEPARATOR, "/", 1) for name in names]

    def log_dir(self, stage: str, instance_id: str) -> Path:
        return self.root / "logs" / stage / instance_id

    @property
    def out_dir(self) -> Path:
        return self.root / "out"
