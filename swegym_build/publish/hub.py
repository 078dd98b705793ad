"""Push the exported dataset folder to a Hugging Face Hub dataset repository, idempotently.

`upload_folder` asks the hub (preupload) for the id of every file already there and drops the
files whose content did not change; when nothing changed it makes no commit at all. Because the
exporter writes byte-identical files for the same tasks, pushing the same export twice creates
one commit, not two. Split files on the hub that the new export no longer has (an old shard) are
deleted in the same commit, so the repository always matches its card.

The token comes from the caller or `HF_TOKEN`; it goes to `HfApi` and nowhere else: it is never
logged, put in an error message or written to a file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import httpx2
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._paths import DEFAULT_IGNORE_PATTERNS, filter_repo_objects

from swegym_build.errors import PublishError

logger = logging.getLogger(__name__)

REPO_TYPE = "dataset"
COMMIT_MESSAGE = "Publish dataset with swegym-build"
# Files the exporter owns: remote ones matching these but absent locally are stale and deleted.
OWNED_PATTERNS = ["data/*", "jsonl/*"]
# Leftovers of an interrupted atomic write are never part of the dataset.
IGNORE_PATTERNS = ["*.partial"]


@dataclass(frozen=True)
class PlannedFile:
    """One file `push_to_hub` would send (before the hub says which ones it already has)."""

    path: str
    size: int


@dataclass(frozen=True)
class PushResult:
    repo_id: str
    commit_oid: str
    commit_url: str
    new_commit: bool


def plan_upload(folder: Path) -> list[PlannedFile]:
    """The dry run: the files `push_to_hub(folder, ...)` would upload, with sizes; no network.

    Uses the same selection as `upload_folder` (its default ignores, plus ours), sorted by path.
    """
    if not folder.is_dir():
        raise PublishError(f"{folder}: not a folder; export the dataset first")
    relative = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
    selected = filter_repo_objects(relative, ignore_patterns=[*IGNORE_PATTERNS, *DEFAULT_IGNORE_PATTERNS])
    return [PlannedFile(path, relative[path].stat().st_size) for path in selected]


def push_to_hub(
    folder: Path, repo_id: str, token: str | None, private: bool, endpoint: str | None = None
) -> PushResult:
    """Create the dataset repo `repo_id` if needed and upload `folder` to its `main` branch.

    `token` None means `HF_TOKEN`; `endpoint` None means huggingface_hub's default (`HF_ENDPOINT`
    or the public hub). `private` only applies when the repository is created. Returns the head
    commit and whether this push made it. Raises `PublishError` when there is no token, the hub
    refuses it, or the upload fails.
    """
    token = token or os.environ.get("HF_TOKEN")
    if not token:
        raise PublishError(f"{repo_id}: no token; set HF_TOKEN to a write token for the hub")
    planned = plan_upload(folder)
    if not any(f.path == "README.md" for f in planned):
        raise PublishError(f"{folder}: has no README.md (dataset card); export the dataset first")
    api = HfApi(endpoint=endpoint, token=token)
    where = f"{api.endpoint}/datasets/{repo_id}"
    logger.info("pushing %d files (%d bytes) to %s", len(planned), sum(f.size for f in planned), where)
    try:
        api.create_repo(repo_id, repo_type=REPO_TYPE, exist_ok=True, private=private)
        before = api.repo_info(repo_id, repo_type=REPO_TYPE).sha
        info = api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            repo_type=REPO_TYPE,
            commit_message=COMMIT_MESSAGE,
            ignore_patterns=list(IGNORE_PATTERNS),
            delete_patterns=list(OWNED_PATTERNS),
        )
    except HfHubHTTPError as exc:
        raise PublishError(_explain(exc, where)) from exc
    except (httpx2.HTTPError, ValueError) as exc:
        raise PublishError(f"pushing {folder} to {where} failed: {exc}") from exc
    new_commit = info.oid != before
    logger.info("%s: %s %s", where, "new commit" if new_commit else "unchanged, head is", info.oid)
    return PushResult(repo_id=repo_id, commit_oid=info.oid, commit_url=info.commit_url, new_commit=new_commit)


def _explain(exc: HfHubHTTPError, where: str) -> str:
    status = exc.response.status_code
    if status == 401:
        return f"{where}: the hub refused the token (401); check that HF_TOKEN is a valid token"
    if status == 403:
        return f"{where}: the token may not write here (403); use a write token with access to it"
    # The hub's own message names the request; it never contains the token.
    return f"{where}: the hub answered {status}: {exc}"
