"""Materialise a declarative world file (`data/sample/world.yaml`) as a git repository and a `World`.

Authors, committers and dates are fixed, so the commit SHAs are identical on every machine and
every run. The result is a bare repository (the `clone_url` the fake GitHub hands out) holding the
default branch and `refs/pull/<N>/head` for every pull request, as GitHub's own does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from swegym_build.testing.fakegithub.world import FakeComment, FakeIssue, FakePull, FakeRepo, World

SAMPLE_DIR = Path(__file__).resolve().parents[3] / "data" / "sample"
SAMPLE_WORLD_FILE = SAMPLE_DIR / "world.yaml"

_EVENT_GAP = timedelta(hours=1)
_COMMIT_GAP = timedelta(minutes=10)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Git:
    """Runs git in one work tree with a fixed identity and clock."""

    workdir: Path

    def run(self, *args: str, when: datetime | None = None) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Sample Author",
            "GIT_AUTHOR_EMAIL": "author@example.invalid",
            "GIT_COMMITTER_NAME": "Sample Author",
            "GIT_COMMITTER_EMAIL": "author@example.invalid",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if when is not None:
            stamp = f"{int(when.timestamp())} +0000"
            env |= {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        result = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", *args],
            cwd=self.workdir,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    def write(self, files: dict[str, str | bytes]) -> None:
        for relative, content in files.items():
            target = self.workdir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)

    def commit(self, message: str, files: dict[str, str | bytes], when: datetime) -> str:
        self.write(files)
        self.run("add", "-A")
        self.run("commit", "-q", "-m", message, when=when)
        return self.run("rev-parse", "HEAD")


def build_world(world_file: Path, dest: Path) -> World:
    """Build the git history described by `world_file` under `dest` and return the served `World`.

    `dest/work` is a scratch work tree; `dest/<owner>__<name>.git` is the bare repository.
    Rebuilt from scratch each call, which takes well under a second for the sample.
    """
    spec = yaml.safe_load(world_file.read_text())
    full_name: str = spec["repo"]
    branch: str = spec.get("default_branch", "main")
    dest = dest.resolve()  # the bare repository's path is the clone URL git reads from anywhere
    work, bare = dest / "work", dest / (full_name.replace("/", "__") + ".git")
    for path in (work, bare):
        if path.exists():
            shutil.rmtree(path)
    work.mkdir(parents=True)
    git = _Git(work)
    git.run("init", "-q", "-b", branch)

    repo = FakeRepo(full_name=full_name, clone_url=str(bare), default_branch=branch)
    clock = datetime.fromisoformat(spec["start"].replace("Z", "+00:00")).astimezone(timezone.utc)
    next_comment_id = 1001
    pull_refs: dict[int, str] = {}
    for event in spec["events"]:
        ((kind, body),) = event.items()
        if kind == "commit":
            git.commit(body["message"], body["files"], clock)
        elif kind == "issue":
            repo.issues[body["number"]] = FakeIssue(
                number=body["number"],
                title=body["title"],
                body=body.get("body", ""),
                created_at=_iso(clock),
                updated_at=_iso(clock),
                user=body.get("user", "alice"),
            )
        elif kind == "comment":
            comment = FakeComment(next_comment_id, body["issue"], body["body"], _iso(clock), _iso(clock))
            repo.comments.append(comment)
            next_comment_id += 1
            target = repo.issues.get(body["issue"]) or repo.pulls[body["issue"]]
            target.updated_at = _iso(clock)
        elif kind == "pull":
            pull = _make_pull(git, body, branch, clock)
            repo.pulls[pull.number] = pull
            pull_refs[pull.number] = pull.head_sha
        else:
            raise ValueError(f"{world_file}: unknown event kind {kind!r}")
        clock += _EVENT_GAP

    git.run("clone", "-q", "--bare", str(work), str(bare))
    bare_git = _Git(bare)
    for ref in bare_git.run("for-each-ref", "--format=%(refname)", "refs/heads").splitlines():
        if ref != f"refs/heads/{branch}":
            bare_git.run("update-ref", "-d", ref)
    for number, sha in pull_refs.items():
        bare_git.run("update-ref", f"refs/pull/{number}/head", sha)
    world = World()
    world.add(repo)
    return world


def _make_pull(git: _Git, body: dict[str, Any], branch: str, clock: datetime) -> FakePull:
    number: int = body["number"]
    head_ref = f"pr-{number}"
    base_sha = git.run("rev-parse", branch)
    git.run("checkout", "-q", "-b", head_ref, branch)
    when = clock
    for commit in body["commits"]:
        head_sha = git.commit(commit["message"], commit["files"], when)
        when += _COMMIT_GAP
    git.run("checkout", "-q", branch)

    merge = body.get("merge", "merge")
    closed_at = _iso(when + _COMMIT_GAP)
    merged_at = merge_sha = None
    if merge == "merge":
        git.run(
            "merge",
            "-q",
            "--no-ff",
            "-m",
            f"Merge pull request #{number} from {head_ref}",
            head_ref,
            when=when,
        )
    elif merge == "squash":
        git.run("merge", "-q", "--squash", head_ref)
        git.run("commit", "-q", "-m", f"{body['title']} (#{number})", when=when)
    elif merge != "none":
        raise ValueError(f"pull #{number}: merge must be merge, squash or none, not {merge!r}")
    if merge != "none":
        merged_at, merge_sha = closed_at, git.run("rev-parse", "HEAD")
    state = body.get("state", "closed")
    return FakePull(
        number=number,
        title=body["title"],
        body=body.get("body", ""),
        created_at=_iso(clock + timedelta(minutes=5)),
        updated_at=closed_at,
        head_ref=head_ref,
        head_sha=head_sha,
        base_ref=branch,
        base_sha=base_sha,
        state=state,
        closed_at=None if state == "open" else closed_at,
        merged_at=merged_at,
        merge_commit_sha=merge_sha,
    )


def build_sample_world(dest: Path) -> World:
    """The bundled sample world (`data/sample/world.yaml`) built under `dest`."""
    return build_world(SAMPLE_WORLD_FILE, dest)
