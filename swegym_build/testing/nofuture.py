"""What in a saved image comes from after an instance's base commit (for the no-future tests).

`docker save` gives every layer and the image config; each file a layer holds under `testbed/`
is hashed as git hashes blobs. A blob the repository has, but not in the history up to the base
commit, is the future; so is any commit id after the base named anywhere in the config (labels,
environment) or in a layer's text files under `opt/swegym/`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker

from swegym_build.handoff import read_built, read_versioned
from swegym_build.workspace import Workspace


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


@dataclass
class _Layer:
    """What a layer holds that can name the future: its tree's blobs and its scripts' texts."""

    blobs: list[tuple[str, str]] = field(default_factory=list)  # (blob id, path) under testbed/
    scripts: list[tuple[str, str]] = field(default_factory=list)  # (path, text) under opt/swegym/


@dataclass(frozen=True)
class _History:
    """The mirror's objects, split at one base commit."""

    future_blobs: set[str]
    future_commits: set[str]
    past_paths: set[str]


@dataclass(frozen=True)
class _Mirror:
    """Every blob and commit of the mirror, read once for all the base commits split on it."""

    path: Path
    blobs: set[str]
    commits: set[str]

    @classmethod
    def read(cls, mirror: Path) -> _Mirror:
        listing = _git(mirror, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)")
        blobs = {line.split()[0] for line in listing.splitlines() if line.endswith(" blob")}
        return cls(mirror, blobs, set(_git(mirror, "rev-list", "--all").split()))

    def at(self, base_commit: str) -> _History:
        past_objects = set(_git(self.path, "rev-list", "--objects", base_commit).split())
        past_commits = set(_git(self.path, "rev-list", base_commit).split())
        return _History(
            future_blobs=self.blobs - past_objects,
            future_commits=self.commits - past_commits,
            past_paths=set(_git(self.path, "log", "--format=", "--name-only", base_commit).split("\n")),
        )


def future_in_built_images(client: docker.DockerClient, workspace: Workspace, repo: str) -> dict[str, Future]:
    """For each built instance of `repo` in `workspace`, by instance id, what its image holds from
    after its base commit."""
    images = {instance_id: record.image for instance_id, record in read_built(workspace).items()}
    bases = {images[i.instance_id]: i.base_commit for i in read_versioned(workspace, [repo], None)}
    found = future_in_images(client, bases, workspace.mirror_dir(repo))
    return {instance_id: found[image] for instance_id, image in images.items() if image in found}


def future_in_images(client: docker.DockerClient, bases: dict[str, str], mirror: Path) -> dict[str, Future]:
    """For each image (a tag) what in it comes from after its base commit in `mirror`.

    One `docker save` of all of them: a layer they share (the base's, the env's) is exported and
    read once; the engine's export is what costs, not the reading.
    """
    with tempfile.TemporaryFile() as saved:
        # the engine's `GET /images/get?names=...` (`docker save A B`); docker-py saves one image
        api = client.api  # a requests session on the engine's socket
        url = f"{api.base_url}/v{api.api_version}/images/get"
        response = api.get(url, params={"names": list(bases)}, stream=True)
        response.raise_for_status()
        for chunk in response.iter_content(2**20):
            saved.write(chunk)
        saved.seek(0)
        with tarfile.open(fileobj=saved) as outer:
            manifest = json.loads(outer.extractfile("manifest.json").read())  # type: ignore[union-attr]
            layers = {name: _read_layer(outer, name) for entry in manifest for name in entry["Layers"]}
            configs = {
                entry["Config"]: outer.extractfile(entry["Config"]).read().decode(errors="replace")  # type: ignore[union-attr]
                for entry in manifest
            }
    history = _Mirror.read(mirror)
    found: dict[str, Future] = {}
    for entry in manifest:
        for tag in entry.get("RepoTags") or []:
            if tag in bases:
                own = [(name, layers[name]) for name in entry["Layers"]]
                found[tag] = _future(configs[entry["Config"]], own, history.at(bases[tag]))
    missing = set(bases) - set(found)
    assert not missing, f"docker save gave no manifest entry for {sorted(missing)}"
    return found


def _read_layer(outer: tarfile.TarFile, name: str) -> _Layer:
    held = _Layer()
    with tarfile.open(fileobj=outer.extractfile(name)) as layer:
        for member in layer:
            if not member.isfile():
                continue
            in_tree = member.name.startswith("testbed/") and not member.name.startswith("testbed/.git/")
            if not (in_tree or member.name.startswith("opt/swegym/")):
                continue  # the OS, the venv: nothing of the repository (and most of the bytes)
            content = layer.extractfile(member).read()  # type: ignore[union-attr]
            if in_tree:
                held.blobs.append((_blob_id(content), member.name))
            else:
                held.scripts.append((member.name, content.decode(errors="replace")))
    return held


def _future(config: str, layers: list[tuple[str, _Layer]], history: _History) -> Future:
    found = Future(commits=[c for c in history.future_commits if c in config])
    for name, layer in layers:
        found.blobs += [f"{name} {path}" for blob, path in layer.blobs if blob in history.future_blobs]
        for path, text in layer.scripts:
            found.commits += [c for c in history.future_commits if c in text]
            if path.endswith("deleted.z"):
                found.paths += [p for p in text.split("\0") if p and p not in history.past_paths]
    return found


def dump(found: Future) -> str:
    return json.dumps({"blobs": found.blobs[:10], "commits": found.commits[:10], "paths": found.paths[:10]})
