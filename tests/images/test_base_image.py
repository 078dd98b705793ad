"""The base tier against the real engine: bootstrap, build, reuse, labels and refusals.

The root filesystem and the base image are cached per machine (`$SWEGYM_CACHE_DIR`, else
`data/cache` in the checkout), so only the first run on a machine bootstraps and builds.
"""

from __future__ import annotations

import os
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from swegym_build.cache import CACHE_DIR_ENV
from swegym_build.errors import BuildError
from swegym_build.images import base_image as base_image_module
from swegym_build.images import ensure_base_image, tiers
from swegym_build.images import rootfs as rootfs_module
from swegym_build.images.base_image import BaseImage
from swegym_build.images.rootfs import rootfs_tag
from swegym_build.labels import OWNER_LABEL, TIER_LABEL, tier_labels
from swegym_build.pythons.provider import (
    DEBIAN_RELEASES,
    provide_python,
    python_minor,
    python_versions_available,
)
from swegym_build.pythons.uv_python import PythonDownloads

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_available_versions_say_how_they_are_provided() -> None:
    available = python_versions_available()
    assert {"3.9", "3.11", "3.13", "3.14"} <= set(available)
    assert "bookworm" in available["3.11"]
    assert "forky" in available["3.14"]


@pytest.mark.parametrize(("given", "expected"), [("3.11", "3.11"), ("3.9.18", "3.9"), ("python3.13", "3.13")])
def test_versions_are_normalised_to_major_minor(given: str, expected: str) -> None:
    assert python_minor(given) == expected


DEBIAN_ONLY = PythonDownloads(mirror="off")


def test_without_uv_builds_a_version_picks_the_debian_release_that_ships_it(tmp_path: Path) -> None:
    for version, suite in (("3.9", "bullseye"), ("3.11.4", "bookworm"), ("3.14", "forky")):
        provided = provide_python(version, tmp_path, DEBIAN_ONLY)
        assert not isinstance(provided, str)
        assert (provided.provider, provided.release.suite) == ("debian", suite)


@pytest.mark.parametrize("version", ["3.7", "3.8", "3.12", "2.7"])
def test_an_unavailable_version_is_refused_with_its_name_and_why(version: str, tmp_path: Path) -> None:
    why = provide_python(version, tmp_path, DEBIAN_ONLY)
    assert isinstance(why, str)
    assert why.startswith(f"Python {version}: uv: uv-managed builds are turned off")
    assert "Debian has 3.9 (bullseye), 3.11 (bookworm), 3.13 (trixie), 3.14 (forky)" in why


def test_only_a_rolling_release_skips_the_expiry_of_its_release_files() -> None:
    mirror = "http://deb.debian.org/debian"
    stable = rootfs_module.sources_list("trixie", mirror)
    assert stable.splitlines() == [
        "deb http://deb.debian.org/debian trixie main",
        "deb http://deb.debian.org/debian trixie-updates main",
        "deb http://deb.debian.org/debian-security trixie-security main",
    ]
    forky = next(r for r in DEBIAN_RELEASES if r.suite == "forky")
    testing = rootfs_module.sources_list(forky.suite, mirror, forky.rolling)
    assert testing.splitlines()[0] == "deb [check-valid-until=no] http://deb.debian.org/debian forky main"
    assert testing.count("[check-valid-until=no]") == 3


def test_a_release_newer_than_this_debootstrap_is_bootstrapped_by_sids_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sid").write_text("# the script every Debian release since wheezy uses\n")
    (tmp_path / "trixie").symlink_to("sid")
    monkeypatch.setattr(rootfs_module, "DEBOOTSTRAP_SCRIPTS", tmp_path)
    assert rootfs_module.debootstrap_script("trixie") == []
    assert rootfs_module.debootstrap_script("forky") == [str(tmp_path / "sid")]


def test_a_malformed_version_is_refused() -> None:
    with pytest.raises(BuildError, match="'latest'"):
        python_minor("latest")


@pytest.fixture(scope="session")
def client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture(scope="session")
def machine_cache() -> Iterator[Path]:
    """One cache for the whole session and across sessions, so CI bootstraps Debian once."""
    chosen = Path(os.environ.get(CACHE_DIR_ENV) or REPO_ROOT / "data" / "cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(chosen))
        yield chosen


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="session")
def base311(client: docker.DockerClient, machine_cache: Path, workdir: Path) -> BaseImage:
    return ensure_base_image(client, ["3.11"], workdir)


def _run(client: docker.DockerClient, image: str, command: list[str]) -> str:
    output = client.containers.run(image, command, remove=True, labels=tier_labels("check"))
    return output.decode()


@pytest.mark.docker
def test_base_image_runs_its_python_git_and_uv(client: docker.DockerClient, base311: BaseImage) -> None:
    assert base311.interpreters == {"3.11": "/usr/bin/python3.11"}
    assert base311.debian_suite == "bookworm"
    assert base311.size_bytes > 100_000_000
    out = _run(
        client, base311.tag, ["python3.11", "-c", "import ssl, sqlite3, sys; print(sys.version_info[:2])"]
    )
    assert out.strip() == "(3, 11)"
    assert _run(client, base311.tag, ["git", "--version"]).startswith("git version ")
    assert _run(client, base311.tag, ["uv", "--version"]).startswith("uv ")
    assert "gcc" in _run(client, base311.tag, ["gcc", "--version"])


@pytest.mark.docker
def test_docker_stop_of_a_container_kept_up_by_tail_is_prompt(
    client: docker.DockerClient, base311: BaseImage
) -> None:
    """SWE-bench 5 keeps its containers up with `tail -f /dev/null` and ends them with a stop.

    As PID 1, tail ignores SIGTERM and the stop waits out its grace; under tini it ends at once.
    """
    container = client.containers.run(
        base311.tag, ["tail", "-f", "/dev/null"], detach=True, labels=tier_labels("check")
    )
    try:
        pid1 = container.exec_run(["cat", "/proc/1/cmdline"]).output.split(b"\0")
        assert pid1[:5] == [b"/usr/bin/tini", b"-s", b"--", b"tail", b"-f"]
        started = time.monotonic()
        container.stop(timeout=15)
        stopped_in = time.monotonic() - started
        container.reload()
        assert container.attrs["State"]["ExitCode"] == 143  # tail ended by the SIGTERM tini forwarded
    finally:
        container.remove(force=True)
    assert stopped_in < 5, f"docker stop took {stopped_in:.1f} s"


@pytest.mark.docker
def test_a_commands_exit_code_comes_through_the_init(client: docker.DockerClient, base311: BaseImage) -> None:
    container = client.containers.run(
        base311.tag, ["sh", "-c", "exit 7"], detach=True, labels=tier_labels("check")
    )
    try:
        assert container.wait(timeout=60)["StatusCode"] == 7
    finally:
        container.remove(force=True)


@pytest.mark.docker
def test_a_second_call_is_a_no_op(client: docker.DockerClient, base311: BaseImage, workdir: Path) -> None:
    again = ensure_base_image(client, ["3.11"], workdir)
    assert again.built is False
    assert (again.tag, again.image_id) == (base311.tag, base311.image_id)


@pytest.mark.docker
def test_python_3_14_comes_from_debian_forky_offline(
    client: docker.DockerClient, machine_cache: Path, workdir: Path
) -> None:
    base314 = ensure_base_image(client, ["3.14"], workdir, downloads=DEBIAN_ONLY)
    assert (base314.provider, base314.debian_suite) == ("debian", "forky")
    assert base314.interpreters == {"3.14": "/usr/bin/python3.14"}
    version = _run(client, base314.tag, ["python3", "--version"])
    assert version.startswith("Python 3.14.")
    venv = "python3.14 -m venv /tmp/v && /tmp/v/bin/python -c 'import ssl, sqlite3; print(1)'"
    assert _run(client, base314.tag, ["sh", "-c", venv]).strip() == "1"


@pytest.mark.docker
def test_rootfs_and_base_images_carry_the_labels(client: docker.DockerClient, base311: BaseImage) -> None:
    base_labels = client.images.get(base311.tag).labels
    assert base_labels[OWNER_LABEL] == "1"
    assert base_labels[TIER_LABEL] == "base"
    assert base_labels["swegym-build.python"] == "3.11"
    rootfs = client.images.get(rootfs_tag(DEBIAN_RELEASES[1]))
    assert rootfs.labels[OWNER_LABEL] == "1"
    assert rootfs.labels[TIER_LABEL] == "rootfs"
    owned = {image.id for image in client.images.list(filters={"label": f"{OWNER_LABEL}=1"})}
    assert {base311.image_id, rootfs.id} <= owned


@pytest.mark.docker
def test_the_rootfs_is_slim(client: docker.DockerClient, base311: BaseImage) -> None:
    leftovers = "find /var/lib/apt/lists /usr/share/man /usr/share/doc -type f ! -name copyright | wc -l"
    assert _run(client, base311.tag, ["sh", "-c", leftovers]).strip() == "0"


@pytest.mark.docker
def test_an_unavailable_version_fails_before_any_work(client: docker.DockerClient, workdir: Path) -> None:
    with pytest.raises(BuildError, match=r"Python 3\.8: uv: .+; Debian: no Debian release ever shipped it"):
        ensure_base_image(client, ["3.8"], workdir)


@pytest.mark.docker
def test_a_failing_build_names_the_image_and_its_log(
    client: docker.DockerClient,
    base311: BaseImage,
    workdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text("ARG ROOTFS_IMAGE\nFROM ${ROOTFS_IMAGE}\nRUN echo about to fail && false\n")
    monkeypatch.setattr(base_image_module, "TEMPLATE", broken)
    with pytest.raises(
        BuildError, match=r"building base image swegym-build-base:bookworm-py3\.11-\w+ failed"
    ) as err:
        ensure_base_image(client, ["3.11"], workdir)
    assert "about to fail" in str(err.value)


@pytest.mark.docker
def test_uv_installs_from_pypi_with_a_date_cutoff(client: docker.DockerClient, base311: BaseImage) -> None:
    script = (
        "uv venv -q -p python3.11 /tmp/v && "
        "uv pip install -q --python /tmp/v/bin/python --exclude-newer 2021-01-01 six && "
        "/tmp/v/bin/python -c 'import six; print(six.__version__)'"
    )
    # six 1.15.0 (May 2020) was the newest release before the cutoff; 1.16.0 came in May 2021.
    assert _run(client, base311.tag, ["sh", "-c", script]).strip() == "1.15.0"


def test_host_ca_certificates_are_read_for_the_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "corp").mkdir()
    (tmp_path / "corp" / "proxy.crt").write_text("PEM")
    (tmp_path / "notes.txt").write_text("not a certificate")
    monkeypatch.setattr(base_image_module, "HOST_CA_DIR", tmp_path)
    assert base_image_module.host_ca_certificates() == {"corp_proxy.crt": "PEM"}


@pytest.mark.docker
def test_an_install_run_that_outlives_its_time_is_a_build_failure_not_a_crash(
    client: docker.DockerClient, base311: BaseImage, tmp_path: Path
) -> None:
    # docker-py's wait ends in a requests read timeout, which crashed the whole build stage
    # (a drafted hydra candidate given the few minutes left of its budget)
    payload = tmp_path / "empty.tar"
    with tarfile.open(payload, "w"):
        pass
    labels = tier_labels("env", repo="acme/slow", version="1.0", commit="0" * 40)
    started = time.monotonic()
    with pytest.raises(BuildError, match="did not finish within 3 s"):
        tiers._run_and_commit(client, base311.image_id, ["sleep", "60"], payload, "swegym-build-env:slow",
                              labels, tmp_path / "run.log", "the env image of acme/slow 1.0", 3)  # fmt: skip
    assert time.monotonic() - started < 30
    assert not client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}.repo=acme/slow"})
