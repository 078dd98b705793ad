"""The provider chain: uv-managed builds from a python-build-standalone mirror first, Debian second.

The mirror is a stand-in on 127.0.0.1 serving an install_only archive packed from a CPython that
runs on this machine (a version no Debian release ships when there is one: 3.12, 3.10 or 3.8).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from swegym_build.cache import CACHE_DIR_ENV
from swegym_build.images import ensure_base_image
from swegym_build.labels import tier_labels
from swegym_build.pythons.provider import ProvidedPython, provide_python
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.testing.pbsmirror import BUILD, StandaloneMirror, runnable_cpython

REPO_ROOT = Path(__file__).resolve().parents[2]
NOT_IN_DEBIAN = ["3.12", "3.10", "3.8"]


@dataclass(frozen=True)
class Served:
    mirror: StandaloneMirror
    version: str  # 3.X
    patch: str  # 3.X.Y as the archive names it

    @property
    def downloads(self) -> PythonDownloads:
        return PythonDownloads(mirror=self.mirror.url, downloads_json=self.mirror.downloads_json)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    prefix = runnable_cpython(NOT_IN_DEBIAN)
    if prefix is None:  # this machine has no such build: package the interpreter running the tests
        prefix = runnable_cpython([f"3.{sys.version_info.minor}"])
    assert prefix is not None
    version = next(p.name.removeprefix("python") for p in sorted(prefix.glob("bin/python3.*[0-9]")))
    patch = prefix.name if prefix.name.startswith(f"{version}.") else f"{version}.0"
    with StandaloneMirror(tmp_path_factory.mktemp("pbs")) as mirror:
        mirror.add(prefix, patch)
        yield Served(mirror, version, patch)


def test_uv_installs_the_mirrors_build_from_the_urls_uv_asks_for(served: Served, tmp_path: Path) -> None:
    provided = provide_python(served.version, tmp_path, served.downloads)

    assert isinstance(provided, ProvidedPython), provided
    assert provided.provider == "uv"
    assert provided.managed is not None
    assert provided.managed.name == f"cpython-{served.patch}-linux-x86_64-gnu"
    # uv read the download list, then fetched the archive from the mirror (not the canonical host)
    archive = (
        f"/{BUILD}/cpython-{served.patch}%2B{BUILD}-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    )
    assert served.mirror.requests[:2] == ["/downloads.json", archive]
    out = subprocess.run(
        [str(provided.managed.executable), "-c", "import sys, ssl; print(sys.version_info[:2], sys.prefix)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert out.split(")")[0] + ")" == f"({served.version.replace('.', ', ')})"
    assert str(provided.managed.path) in out  # runs from where it was unpacked: relocatable


def test_another_process_finds_the_build_in_the_cache_and_downloads_nothing(
    served: Served, tmp_path: Path
) -> None:
    first = provide_python(served.version, tmp_path, served.downloads)
    assert isinstance(first, ProvidedPython) and first.managed is not None
    asked = len(served.mirror.requests)
    script = (
        "import sys; from pathlib import Path; "
        "from swegym_build.pythons.provider import provide_python; "
        "from swegym_build.pythons.uv_python import PythonDownloads; "
        "p = provide_python(sys.argv[1], Path(sys.argv[2]), PythonDownloads(sys.argv[3], sys.argv[4])); "
        "print(p.managed.fingerprint)"
    )
    args = [served.version, str(tmp_path), served.mirror.url, served.mirror.downloads_json]
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == first.managed.fingerprint
    assert len(served.mirror.requests) == asked


def test_a_version_the_mirror_lacks_falls_through_to_debian(served: Served, tmp_path: Path) -> None:
    provided = provide_python("3.9", tmp_path, served.downloads)
    assert isinstance(provided, ProvidedPython)
    assert (provided.provider, provided.release.suite) == ("debian", "bullseye")


def test_without_a_mirror_only_debians_versions_exist_here(tmp_path: Path) -> None:
    why = provide_python("3.12", tmp_path, PythonDownloads(mirror="http://127.0.0.1:9"))
    assert isinstance(why, str)
    assert why.startswith("Python 3.12: uv: `uv python install 3.12` from mirror http://127.0.0.1:9 failed")
    assert "Debian: no Debian release ever shipped it as python3" in why


@pytest.mark.docker
def test_the_base_image_carries_the_uv_build_and_records_its_provider(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Path(os.environ.get(CACHE_DIR_ENV) or REPO_ROOT / "data" / "cache")
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache))  # the machine's rootfs cache; the build goes there too
    client = docker.from_env(timeout=600)
    base = ensure_base_image(client, [served.version], tmp_path, downloads=served.downloads)
    try:
        assert base.provider == "uv"
        assert base.debian_suite == "bookworm"
        assert base.interpreters == {served.version: f"/usr/local/bin/python{served.version}"}
        labels = client.images.get(base.tag).labels
        assert labels["swegym-build.python-provider"] == "uv"
        assert f"cpython-{served.patch}" in labels["swegym-build.python-source"]
        script = (
            "import sys, ssl, sqlite3, venv, ensurepip; print('%d.%d' % sys.version_info[:2], sys.prefix)"
        )
        out = client.containers.run(
            base.tag, [f"python{served.version}", "-c", script], remove=True, labels=tier_labels("check")
        ).decode()
        assert out.split() == [served.version, f"/opt/python/cpython-{served.patch}-linux-x86_64-gnu"]
    finally:
        # the build came from this test's mirror (its own cache folder): leave nothing behind
        provided = provide_python(served.version, cache, served.downloads)
        if isinstance(provided, ProvidedPython) and provided.managed is not None:
            shutil.rmtree(provided.managed.path.parent)
