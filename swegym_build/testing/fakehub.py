"""A stand-in for the Hugging Face Hub's HTTP API on 127.0.0.1, for the tests and the offline demo.

It is not the hub: it implements only what `HfApi.create_repo`, `upload_folder` and
`create_commit` of the installed huggingface_hub call, with the hub's JSON shapes and error
headers, and keeps repositories in memory:

- `POST /api/repos/create`                        create (409 when it exists; `exist_ok` relies on it)
- `POST /api/validate-yaml`                       the README front-matter check run before uploading
- `GET  /api/{type}s/{id}[/revision/{rev}]`       repo info (`sha`, `siblings`): `repo_info`
- `GET  /api/{type}s/{id}/tree/{rev}[/{path}]`    file listing: `list_repo_files`, `delete_patterns`
- `POST /api/{type}s/{id}/preupload/{rev}`        upload modes; always `regular`, so file contents
                                                  travel inline (base64) in the commit, never
                                                  through LFS/Xet storage; reports the stored
                                                  file's git blob id as `oid`, which is how the
                                                  client skips unchanged files
- `POST /api/{type}s/{id}/commit/{rev}`           NDJSON commit (header, file, deletedFile,
                                                  deletedFolder lines); every accepted call is one
                                                  new commit, so a no-op push shows up as one

Writes need `Authorization: Bearer <token>`; a wrong token gets the hub's 401. Only the branch
`main` exists. The request log keeps method, path and status, never headers, so no token can leak
through it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from swegym_build.testing.loopback import LoopbackServer

BRANCH = "main"
GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_id(data: bytes) -> str:
    """The git object id of a file's content, which the hub reports as a regular file's `oid`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class HubCommit:
    oid: str
    title: str
    files: dict[str, bytes]


@dataclass
class HubRepo:
    repo_type: str
    repo_id: str
    private: bool
    commits: list[HubCommit] = field(default_factory=list)

    @property
    def head(self) -> HubCommit:
        return self.commits[-1]

    def at(self, revision: str) -> HubCommit | None:
        if revision == BRANCH:
            return self.head
        return next((c for c in self.commits if c.oid.startswith(revision) and len(revision) >= 7), None)

    def commit(self, title: str, files: dict[str, bytes]) -> HubCommit:
        parent = self.commits[-1].oid if self.commits else ""
        manifest = json.dumps([parent, title, sorted((p, git_blob_id(d)) for p, d in files.items())])
        commit = HubCommit(hashlib.sha1(manifest.encode()).hexdigest(), title, dict(files))
        self.commits.append(commit)
        return commit


@dataclass(frozen=True)
class HubRequest:
    method: str
    path: str
    status: int


class _HubError(Exception):
    """An error answer, with the `X-Error-Code` huggingface_hub maps to its exception types."""

    def __init__(self, status: int, message: str, code: str = "", **extra: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.extra = extra


class FakeHub(LoopbackServer):
    """The stand-in server. `token` is the one write token it accepts."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.repos: dict[tuple[str, str], HubRepo] = {}
        self.requests: list[HubRequest] = []
        self._lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"hub": self})

    # -- observation -----------------------------------------------------------------------
    def repo(self, repo_id: str, repo_type: str = "dataset") -> HubRepo:
        """The stored repository (KeyError when it was never created)."""
        with self._lock:
            return self.repos[(repo_type, repo_id)]

    def files(self, repo_id: str, repo_type: str = "dataset") -> dict[str, bytes]:
        """The files at the head of `main`."""
        return dict(self.repo(repo_id, repo_type).head.files)

    def commit_count(self, repo_id: str, repo_type: str = "dataset") -> int:
        """Commits on `main`, the hub's initial commit included."""
        return len(self.repo(repo_id, repo_type).commits)

    def snapshot(self, repo_id: str, dest: Path, repo_type: str = "dataset") -> Path:
        """Write the head of `main` to `dest`, as a clone would, and return `dest`."""
        for path, data in self.files(repo_id, repo_type).items():
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return dest

    def count(self, *, method: str = "", path_contains: str = "") -> int:
        """How many requests matched `method` and contained `path_contains` in their path."""
        with self._lock:
            return sum(1 for r in self.requests if r.method.startswith(method) and path_contains in r.path)

    # -- the API ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], body: bytes, auth: str | None) -> Any:
        """Answer one request (JSON-able value) or raise `_HubError`."""
        if auth is not None and auth != f"Bearer {self.token}":
            raise _HubError(401, "Invalid credentials in Authorization header")
        authorized = auth is not None
        if (method, path) == ("POST", "/api/repos/create"):
            return self._create(json.loads(body or b"{}"), authorized)
        if (method, path) == ("POST", "/api/validate-yaml"):
            return self._validate_yaml(json.loads(body or b"{}"))
        match = _REPO_ROUTE.match(path)
        if not match:
            raise _HubError(404, f"no route for {method} {path}")
        repo_type, repo_id, rest = match["type"][:-1], match["repo_id"], match["rest"] or ""
        with self._lock:
            repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and not authorized):
            raise _HubError(404, "Repository not found", "RepoNotFound")
        action, _, tail = rest.lstrip("/").partition("/")
        revision, _, sub_path = tail.partition("/")
        revision = unquote(revision)
        if method == "GET" and action in ("", "revision"):
            return self._info(repo, revision or BRANCH)
        if method == "GET" and action == "tree":
            recursive = query.get("recursive", "").lower() in ("1", "true")
            return self._tree(repo, revision, unquote(sub_path), recursive)
        if method == "POST" and action in ("preupload", "commit"):
            if not authorized:
                raise _HubError(401, "You must be authenticated to write to this repository")
            if revision != BRANCH:
                raise _HubError(404, f"revision {revision!r} not found (only {BRANCH!r})", "RevisionNotFound")
            if query.get("create_pr"):
                raise _HubError(400, "this stand-in does not do pull requests")
            if action == "preupload":
                return self._preupload(repo, json.loads(body))
            return self._commit(repo, body)
        raise _HubError(404, f"no route for {method} {path}")

    def _create(self, payload: dict[str, Any], authorized: bool) -> dict[str, Any]:
        if not authorized:
            raise _HubError(401, "You must be authenticated to create a repository")
        repo_type = payload.get("type") or "model"
        owner = payload.get("organization")
        repo_id = f"{owner}/{payload['name']}" if owner else payload["name"]
        url = f"{self.url}/{'' if repo_type == 'model' else repo_type + 's/'}{repo_id}"
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        with self._lock:
            if (repo_type, repo_id) in self.repos:
                # The hub's 409 body carries the URL; `create_repo(exist_ok=True)` reads it.
                raise _HubError(409, f"You already created this {repo_type} repo", url=url)
            repo = HubRepo(repo_type, repo_id, private)
            # Like the hub: a new repository starts with one commit holding `.gitattributes`.
            repo.commit("initial commit", {".gitattributes": GITATTRIBUTES})
            self.repos[(repo_type, repo_id)] = repo
        return {"url": url, "name": repo_id, "id": repo_id}

    @staticmethod
    def _validate_yaml(payload: dict[str, Any]) -> dict[str, Any]:
        content = str(payload.get("content", ""))
        front = re.match(r"---\n(.*?)\n---\n", content, re.DOTALL)
        try:
            metadata = yaml.safe_load(front.group(1)) if front else {}
        except yaml.YAMLError as exc:
            raise _HubError(400, f"invalid YAML in README.md: {exc}") from exc
        if not isinstance(metadata, dict):
            raise _HubError(400, "README.md metadata must be a mapping")
        return {"errors": [], "warnings": []}

    def _info(self, repo: HubRepo, revision: str) -> dict[str, Any]:
        commit = self._at(repo, revision)
        author = repo.repo_id.split("/")[0] if "/" in repo.repo_id else None
        return {
            "id": repo.repo_id,
            "author": author,
            "sha": commit.oid,
            "private": repo.private,
            "disabled": False,
            "gated": False,
            "siblings": [{"rfilename": path} for path in sorted(commit.files)],
        }

    def _tree(self, repo: HubRepo, revision: str, prefix: str, recursive: bool) -> list[dict[str, Any]]:
        commit = self._at(repo, revision)
        base = prefix.strip("/") + "/" if prefix.strip("/") else ""
        entries: dict[str, dict[str, Any]] = {}
        for path, data in sorted(commit.files.items()):
            if not path.startswith(base):
                continue
            rest = path[len(base) :]
            if "/" in rest and not recursive:
                folder = base + rest.split("/")[0]
                entries[folder] = {"type": "directory", "oid": git_blob_id(folder.encode()), "path": folder}
                continue
            entries[path] = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": path}
        return list(entries.values())

    @staticmethod
    def _at(repo: HubRepo, revision: str) -> HubCommit:
        commit = repo.at(revision)
        if commit is None:
            raise _HubError(404, f"revision {revision!r} not found", "RevisionNotFound")
        return commit

    def _preupload(self, repo: HubRepo, payload: dict[str, Any]) -> dict[str, Any]:
        stored = repo.head.files
        answers = []
        for entry in payload.get("files", []):
            answer: dict[str, Any] = {"path": entry["path"], "uploadMode": "regular", "shouldIgnore": False}
            if entry["path"] in stored:
                answer["oid"] = git_blob_id(stored[entry["path"]])
            answers.append(answer)
        return {"files": answers, "commitOid": repo.head.oid}

    def _commit(self, repo: HubRepo, body: bytes) -> dict[str, Any]:
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise _HubError(400, "commit payload must start with a header line")
        header = lines[0]["value"]
        with self._lock:
            parent = header.get("parentCommit")
            if parent and not repo.head.oid.startswith(parent):
                raise _HubError(412, f"parent commit {parent} is not the head of {BRANCH}")
            files = dict(repo.head.files)
            for line in lines[1:]:
                _apply(files, line["key"], line["value"])
            commit = repo.commit(header.get("summary", ""), files)
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        return {
            "success": True,
            "commitOid": commit.oid,
            "commitUrl": f"{self.url}/{prefix}{repo.repo_id}/commit/{commit.oid}",
            "hookOutput": "",
            "pullRequestUrl": None,
        }


def _apply(files: dict[str, bytes], key: str, value: dict[str, Any]) -> None:
    """Apply one commit operation to the file set."""
    path = value["path"]
    if key == "file":
        if value.get("encoding") != "base64":
            raise _HubError(400, f"{path}: only base64 file content is supported")
        try:
            files[path] = base64.b64decode(value["content"], validate=True)
        except binascii.Error as exc:
            raise _HubError(400, f"{path}: content is not base64") from exc
    elif key == "deletedFile":
        if files.pop(path, None) is None:
            raise _HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
    elif key == "deletedFolder":
        for name in [n for n in files if n.startswith(path.rstrip("/") + "/")]:
            del files[name]
    else:
        # The preupload answer is always `regular`, so a conforming client never sends LFS lines.
        raise _HubError(400, f"{path}: operation {key!r} is not supported by this stand-in")


_REPO_ROUTE = re.compile(
    r"^/api/(?P<type>models|datasets|spaces)/(?P<repo_id>[^/]+/[^/]+)"
    r"(?P<rest>/(?:revision|tree|preupload|commit)(?:/.*)?)?$"
)


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line; `FakeHub.requests` records every request."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        headers: dict[str, str] = {}
        try:
            payload = self.hub.handle(method, parts.path, query, body, self.headers.get("Authorization"))
            status = 200
        except _HubError as error:
            status, payload = error.status, {"error": error.message, **error.extra}
            headers["X-Error-Message"] = error.message
            if error.code:
                headers["X-Error-Code"] = error.code
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            status, payload = 400, {"error": f"malformed request: {exc!r}"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        with self.hub._lock:
            self.hub.requests.append(HubRequest(method, parts.path, status))
