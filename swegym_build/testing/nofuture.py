"""What in a saved image comes from after an instance's base commit (for the no-future tests).

`docker save` gives every layer and the image config; each file a layer holds under `testbed/`
is hashed as git hashes blobs. A blob the repository has, but not in the history up to the base
commit, is the future; so is any commit id after the base named anywhere in the config (labels,
environment) or in a layer's text files under `opt/swegym/`.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker


@dataclass
class Future:
    blobs: list[str] = field(default_factory=list)  # "layer path" of files whose content is future
    commits: list[str] = field(default_factory=list)  # future commit ids named in the config or scripts
    paths: list[str] = field(default_factory=list)  # deleted-file lists naming paths no past commit had

    @property
    def empty(self) -> bool:
        return not (self.blobs or self.commits or self.paths)


def _git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=mirror, capture_output=True, text=True, check=True).stdout


def _blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def future_in_image(client: docker.DockerClient, image: str, mirror: Path, base_commit: str) -> Future:
    """Everything in `image` that comes from after `base_commit` in `mirror`."""
    past_objects = set(_git(mirror, "rev-list", "--objects", base_commit).split())
    every_blob = {
        line.split()[0]
        for line in _git(
            mirror, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"
        ).splitlines()
        if line.endswith(" blob")
    }
    future_blobs = every_blob - past_objects
    past_commits = set(_git(mirror, "rev-list", base_commit).split())
    future_commits = set(_git(mirror, "rev-list", "--all").split()) - past_commits
    past_paths = set(_git(mirror, "log", "--format=", "--name-only", base_commit).split("\n"))
    found = Future()
    with tempfile.TemporaryFile() as saved:
        for chunk in client.images.get(image).save(named=False):
            saved.write(chunk)
        saved.seek(0)
        with tarfile.open(fileobj=saved) as outer:
            for member in outer.getmembers():
                data = outer.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
                if member.name.endswith(".json"):
                    text = data.decode(errors="replace")
                    found.commits += [c for c in future_commits if c in text]
                elif member.name.endswith("layer.tar"):
                    _scan_layer(data, member.name, future_blobs, future_commits, past_paths, found)
    return found


def _scan_layer(
    data: bytes,
    name: str,
    future_blobs: set[str],
    future_commits: set[str],
    past_paths: set[str],
    found: Future,
) -> None:
    with tarfile.open(fileobj=io.BytesIO(data)) as layer:
        for member in layer.getmembers():
            if not member.isfile():
                continue
            content = layer.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("testbed/") and not member.name.startswith("testbed/.git/"):
                if _blob_id(content) in future_blobs:
                    found.blobs.append(f"{name} {member.name}")
            elif member.name.startswith("opt/swegym/"):
                text = content.decode(errors="replace")
                found.commits += [c for c in future_commits if c in text]
                if member.name.endswith("deleted.z"):
                    found.paths += [p for p in text.split("\0") if p and p not in past_paths]


def dump(found: Future) -> str:
    return json.dumps({"blobs": found.blobs[:10], "commits": found.commits[:10], "paths": found.paths[:10]})
