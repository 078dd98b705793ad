"""A stand-in for python-build-standalone's download host, on 127.0.0.1.

The real host cannot be reached here, so the stand-in serves an archive laid out as its
`install_only` archives are (one top folder `python/` holding `bin/python3.X`, `lib/`,
`include/`), made from a CPython that runs on this machine, under the file name and release
folder uv asks for: `<build>/cpython-<X.Y.Z>+<build>-<triple>-install_only_stripped.tar.gz`.
uv checks every download against the sha256 of its own list, which cannot know this archive, so
the stand-in also serves a download list (`/downloads.json`, uv's `UV_PYTHON_DOWNLOADS_JSON_URL`
format) naming it under python-build-standalone's canonical URL; uv's mirror setting rewrites
that URL to this server, which proves the mirror is what uv downloads from.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote

from swegym_build.testing.loopback import LoopbackServer

CANONICAL_PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download"
BUILD = "20990101"
# What the slim archives leave out, and what a test never needs.
_SKIPPED = frozenset({"__pycache__", "test", "tests", "idlelib", "tkinter", "turtledemo", "site-packages"})


def runnable_cpython(versions: list[str]) -> Path | None:
    """The prefix of a CPython of one of `versions` (3.X, first found wins) that runs on this machine.

    Looks at pyenv's builds and at this interpreter's own installation.
    """
    for version in versions:
        for root in sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*")):
            if (root / "bin" / f"python{version}").exists():
                return root
        if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
            return Path(sys.base_prefix)
    return None


def _version_of(prefix: Path) -> str:
    found = sorted(prefix.glob("bin/python3.*[0-9]"))
    if not found:
        raise ValueError(f"no bin/python3.X under {prefix}")
    return found[0].name.removeprefix("python")


def install_only_archive(prefix: Path, patch: str, dest_dir: Path) -> Path:
    """Pack the CPython at `prefix` as python-build-standalone's install_only archive of `patch`.

    A build whose interpreter finds `libpython` by an absolute RUNPATH is made relocatable the way
    the real builds are: the path is rewritten in place to `$ORIGIN/../lib`.
    """
    minor = _version_of(prefix)
    triple = f"{platform.machine()}-unknown-linux-gnu"
    name = f"cpython-{patch}+{BUILD}-{triple}-install_only_stripped.tar.gz"
    with tempfile.TemporaryDirectory() as scratch:
        top = Path(scratch) / "python"
        skipped = lambda _, names: [n for n in names if n in _SKIPPED]  # noqa: E731
        shutil.copytree(prefix, top, symlinks=True, ignore=skipped)
        (top / "lib" / f"python{minor}" / "site-packages").mkdir(exist_ok=True)
        executable = top / "bin" / f"python{minor}"
        binary = executable.read_bytes()
        absolute = str(prefix / "lib").encode() + b"\0"
        if absolute in binary:
            relative = b"$ORIGIN/../lib\0"
            executable.write_bytes(binary.replace(absolute, relative.ljust(len(absolute), b"\0")))
        dest_dir.mkdir(parents=True, exist_ok=True)
        archive = dest_dir / name
        with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
            tar.add(top, arcname="python")
    return archive


@dataclass
class StandaloneMirror(LoopbackServer):
    """Serves `<build>/<archive>` and `/downloads.json`; `requests` lists every path asked for."""

    folder: Path
    requests: list[str] = field(default_factory=list)

    def add(self, prefix: Path, patch: str) -> Path:
        """Serve the CPython at `prefix` as release `patch` (e.g. "3.12.1") of python-build-standalone."""
        archive = install_only_archive(prefix, patch, self.folder / BUILD)
        major, minor, micro = (int(part) for part in patch.split("."))
        listing_file = self.folder / "downloads.json"
        listing = json.loads(listing_file.read_text()) if listing_file.exists() else {}
        listing[f"cpython-{patch}-linux-{platform.machine()}-gnu"] = {
            "name": "cpython",
            "arch": {"family": platform.machine(), "variant": None},
            "os": "linux",
            "libc": "gnu",
            "major": major,
            "minor": minor,
            "patch": micro,
            "prerelease": "",
            "url": f"{CANONICAL_PREFIX}/{BUILD}/{archive.name.replace('+', '%2B')}",
            "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
            "variant": None,
            "build": BUILD,
        }
        listing_file.write_text(json.dumps(listing))
        return archive

    @property
    def downloads_json(self) -> str:
        return f"{self.url}/downloads.json"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                mirror.requests.append(self.path)
                path = (mirror.folder / unquote(self.path.lstrip("/"))).resolve()
                if not path.is_file() or mirror.folder.resolve() not in path.parents:
                    self.send_error(404)
                    return
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        return Handler
