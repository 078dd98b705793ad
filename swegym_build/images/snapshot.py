"""Build-context pieces cut from a bare mirror on the host, with git alone (nothing is checked out).

- `archive`: the repository's files at a commit, as a tar (the env tier's /testbed, and the
  environment commit's tree for its install run).
- `changes`: the files that differ between two commits, as they are at the second, plus the list
  of files the second no longer has (what turns an env tree into an instance's base tree).
- `single_commit_git_dir`: a `.git` whose only commit has the base commit's tree: no parents
  or other objects, so nothing from the repository's future is in an instance image. Its one
  tag is the release the base commit descends from (`git describe`'s nearest tag: a past one),
  on that commit: versioneer and `git describe` read the project's version from it (without it,
  dask installs as `0+unknown`, and dask-expr's `dask==2024.8.0` cannot be met).
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from pathlib import Path

from swegym_build.errors import GitError
from swegym_build.gitread import git_bytes

# Fixed identity and date: the same base commit always gives the same snapshot commit.
_IDENTITY = {
    "GIT_AUTHOR_NAME": "swegym-build",
    "GIT_AUTHOR_EMAIL": "swegym-build@localhost",
    "GIT_COMMITTER_NAME": "swegym-build",
    "GIT_COMMITTER_EMAIL": "swegym-build@localhost",
    "GIT_AUTHOR_DATE": "1700000000 +0000",
    "GIT_COMMITTER_DATE": "1700000000 +0000",
}


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    # No user or system configuration, and a fixed identity: the same inputs give the same bytes.
    env = {**os.environ, **_IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return git_bytes(repo, *args, stdin=stdin, env=env, timeout=None)


def archive(mirror: Path, commit: str, dest: Path, prefix: str = "") -> None:
    """The tree of `commit` as a tar at `dest`, its paths under `prefix`."""
    _git(mirror, "archive", "--format=tar", f"--prefix={prefix}", "-o", str(dest), commit)


def changes(mirror: Path, old: str, new: str, dest: Path, prefix: str = "") -> list[str]:
    """Write the files that differ from `old` to `new`, as at `new`, to the tar `dest`.

    Returns the paths `new` no longer has (they must be deleted from an `old` tree).
    """
    listing = _git(mirror, "diff", "--no-renames", "--name-status", "-z", old, new).decode()
    fields = [field for field in listing.split("\0") if field]
    changed: list[str] = []
    deleted: list[str] = []
    for status, path in zip(fields[0::2], fields[1::2], strict=True):
        (deleted if status == "D" else changed).append(path)
    if changed:
        _git(
            mirror,
            "archive",
            "--format=tar",
            f"--prefix={prefix}",
            "-o",
            str(dest),
            new,
            "--",
            *(f":(literal){p}" for p in changed),
        )
    else:
        with tarfile.open(dest, "w"):
            pass
    return deleted


def single_commit_git_dir(mirror: Path, base_commit: str, dest: Path, prefix: str = "") -> str:
    """Write a tar of a `.git` folder holding one commit with `base_commit`'s tree; return that commit."""
    tree = _git(mirror, "rev-parse", f"{base_commit}^{{tree}}").decode().strip()
    message = f"swegym-build: the tree of {base_commit}\n".encode()
    commit = _git(mirror, "commit-tree", tree, stdin=message).decode().strip()
    pack = _git(mirror, "pack-objects", "--revs", "--stdout", "-q", stdin=f"{commit}\n".encode())
    with tempfile.TemporaryDirectory(prefix="swegym-git-") as scratch:
        work = Path(scratch)
        _git(work, "init", "-q", "-b", "main")
        _git(work, "index-pack", "--stdin", stdin=pack)
        _git(work, "update-ref", "refs/heads/main", commit)
        _git(work, "config", "user.name", "swegym-build")
        _git(work, "config", "user.email", "swegym-build@localhost")
        release = nearest_tag(mirror, base_commit)
        if release is not None:
            _git(work, "tag", release, commit)
        with tarfile.open(dest, "w") as tar:
            tar.add(work / ".git", arcname=f"{prefix}.git")
    return commit


def nearest_tag(mirror: Path, commit: str) -> str | None:
    """The newest tag `commit` carries or descends from (None when it descends from none)."""
    try:
        return _git(mirror, "describe", "--tags", "--abbrev=0", commit).decode().strip() or None
    except GitError:
        return None
