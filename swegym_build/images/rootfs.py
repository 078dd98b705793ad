"""Step 1 of the base tier: a minimal Debian root filesystem, bootstrapped here and imported.

No registry can be pulled from, so the OS layer is made locally: `debootstrap --variant=minbase`
into the cache, slimmed the way Debian's official "slim" images are, packed into a tarball (kept,
so a removed image is re-imported in seconds instead of bootstrapped again) and `docker import`ed
as `swegym-build-rootfs:<suite>`. Each step is skipped when its result already exists.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from swegym_build.cache import engine_lock, file_lock
from swegym_build.dockerio import existing_image
from swegym_build.errors import BuildError
from swegym_build.images.progress import Progress, report
from swegym_build.labels import tier_labels
from swegym_build.pythons.provider import DebianRelease

log = logging.getLogger(__name__)

ROOTFS_REPOSITORY = "swegym-build-rootfs"
MIRROR_ENV = "SWEGYM_DEBIAN_MIRROR"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_TIMEOUT_S = 1800
# Given explicitly so that debootstrap fails, instead of skipping signature checks, without it.
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
DEBOOTSTRAP_SCRIPTS = Path("/usr/share/debootstrap/scripts")

# What Debian's official slim images leave out: documentation, manuals and translations are
# never read inside a build or test container, and they are a sixth of a minbase root.
_DPKG_EXCLUDES = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
"""

# Same as Docker's own Debian images: no package cache or index left behind in any layer, and
# only what a package strictly needs (Recommends would double the size of the build tools).
_APT_CLEAN = (
    "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"
)
_APT_CONFIG = f"""\
DPkg::Post-Invoke {{ "{_APT_CLEAN}"; }};
APT::Update::Post-Invoke {{ "{_APT_CLEAN}"; }};
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
"""

# Package scripts must not try to start daemons inside an image build.
_POLICY_RC_D = "#!/bin/sh\nexit 101\n"


@dataclass(frozen=True)
class RootfsImage:
    """The imported root filesystem image of one Debian release."""

    tag: str
    image_id: str
    suite: str
    created: bool


@dataclass(frozen=True)
class RootfsTarball:
    """A bootstrapped root filesystem packed in the cache, and what it was made from."""

    path: Path
    suite: str
    mirror: str
    release_date: str
    bootstrap_seconds: float


def rootfs_tag(release: DebianRelease) -> str:
    """The image tag of the root filesystem of `release`."""
    return f"{ROOTFS_REPOSITORY}:{release.suite}"


def ensure_rootfs_image(
    client: docker.DockerClient, release: DebianRelease, cache: Path, progress: Progress | None = None
) -> RootfsImage:
    """Return the root filesystem image of `release`, bootstrapping and importing it if missing."""
    tag = rootfs_tag(release)
    found = existing_image(client, tag)
    if found is not None:
        return RootfsImage(tag, str(found.id), release.suite, created=False)
    with engine_lock(f"rootfs-{release.suite}.lock"):
        # Another process may have imported it while this one waited for the lock.
        found = existing_image(client, tag)
        if found is not None:
            return RootfsImage(tag, str(found.id), release.suite, created=False)
        tarball = ensure_rootfs_tarball(release, cache, progress)
        image_id = _import(client, tarball, tag, progress)
    return RootfsImage(tag, image_id, release.suite, created=True)


def ensure_rootfs_tarball(
    release: DebianRelease, cache: Path, progress: Progress | None = None
) -> RootfsTarball:
    """Return the packed root filesystem of `release` from the cache, bootstrapping it if missing."""
    folder = cache / "rootfs"
    tarball = folder / f"{release.suite}.tar"
    meta_file = folder / f"{release.suite}.json"
    with file_lock(folder / f"{release.suite}.tar.lock"):
        if tarball.exists() and meta_file.exists():
            return RootfsTarball(path=tarball, **json.loads(meta_file.read_text()))
        # Under the lock nobody else is bootstrapping: any folder left is from a killed run.
        for stale in folder.glob(f"{release.suite}.*"):
            if stale.is_dir():
                _remove_tree(stale)
        made = bootstrap_rootfs(
            release.suite, tarball, os.environ.get(MIRROR_ENV) or DEFAULT_MIRROR, progress, release.rolling
        )
        # Written last: a tarball without its metadata file counts as missing and is made again.
        meta = {key: value for key, value in dataclasses.asdict(made).items() if key != "path"}
        meta_file.write_text(json.dumps(meta, indent=2))
    return made


def bootstrap_rootfs(
    suite: str, tarball: Path, mirror: str, progress: Progress | None = None, rolling: bool = False
) -> RootfsTarball:
    """Debootstrap `suite` (minbase), slim it and pack it into `tarball`; return what was made.

    Needs root and the `debootstrap` package on the host. The folder is removed afterwards;
    only the tarball is kept.
    """
    if shutil.which("debootstrap") is None:
        raise BuildError("debootstrap is not installed on this host; run `apt-get install debootstrap`")
    if not DEBIAN_KEYRING.exists():
        raise BuildError(f"{DEBIAN_KEYRING} is missing; run `apt-get install debian-archive-keyring`")
    if os.geteuid() != 0:
        raise BuildError(f"bootstrapping the Debian {suite} root filesystem needs root (debootstrap chroots)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix=f"{suite}.", dir=tarball.parent))
    log_file = tarball.with_suffix(".debootstrap.log")
    report(log, progress, f"debootstrap --variant=minbase {suite} from {mirror} (log: {log_file})")
    options = ["debootstrap", "--variant=minbase", "--components=main", f"--keyring={DEBIAN_KEYRING}"]
    started = time.monotonic()
    try:
        with log_file.open("w") as out:
            result = subprocess.run(
                [*options, suite, str(target), mirror, *debootstrap_script(suite)],
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=DEBOOTSTRAP_TIMEOUT_S,
                check=False,
            )
        if result.returncode != 0:
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
            raise BuildError(f"debootstrap of Debian {suite} from {mirror} failed (see {log_file}):\n{tail}")
        release_date = _release_date(target)
        _configure(target, suite, mirror, rolling)
        _slim(target)
        partial = tarball.with_suffix(".tar.partial")
        subprocess.run(["tar", "--numeric-owner", "-C", str(target), "-cf", str(partial), "."], check=True)
        partial.replace(tarball)
    finally:
        _remove_tree(target)
    seconds = time.monotonic() - started
    size_mb = tarball.stat().st_size / 1e6
    report(log, progress, f"Debian {suite} root filesystem ready in {seconds:.1f}s ({size_mb:.0f} MB)")
    return RootfsTarball(tarball, suite, mirror, release_date, round(seconds, 1))


def debootstrap_script(suite: str) -> list[str]:
    """debootstrap's script argument for `suite`: none when it knows the suite, else sid's.

    A debootstrap older than a Debian release has no script named for it (the host's knows
    trixie, not forky); every Debian release since wheezy is bootstrapped by the same script,
    which debootstrap ships as `sid` and links the named releases to.
    """
    if (DEBOOTSTRAP_SCRIPTS / suite).exists():
        return []
    return [str(DEBOOTSTRAP_SCRIPTS / "sid")]


def _import(client: docker.DockerClient, tarball: RootfsTarball, tag: str, progress: Progress | None) -> str:
    labels = tier_labels("rootfs", debian_suite=tarball.suite, debian_release_date=tarball.release_date)
    changes = [
        "LABEL " + " ".join(f"{key}={json.dumps(value)}" for key, value in labels.items()),
        # An imported image has no config at all; these are what `FROM debian` would give.
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        'CMD ["bash"]',
    ]
    repository, _, suite_tag = tag.partition(":")
    report(log, progress, f"docker import {tarball.path.name} as {tag}")
    try:
        client.api.import_image_from_file(
            str(tarball.path), repository=repository, tag=suite_tag, changes=changes
        )
        return str(client.images.get(tag).id)
    except docker.errors.APIError as exc:
        raise BuildError(f"docker import of {tarball.path} as {tag} failed: {exc}") from exc


def _release_date(target: Path) -> str:
    """The `Date:` of the signed Release file debootstrap used: when this root's packages were current."""
    for release_file in (target / "var/lib/apt/lists").glob("*_InRelease"):
        for line in release_file.read_text(errors="replace").splitlines():
            if line.startswith("Date:"):
                return line.removeprefix("Date:").strip()
    return ""


def sources_list(suite: str, mirror: str, rolling: bool = False) -> str:
    """The apt sources of a root filesystem of `suite`: the release, its updates and security fixes.

    A rolling release's (testing's) Release files expire a week after they are made, so apt
    refuses its index on a mirror that lags by more than that (this machine's mirror served a
    5-week-old testing); its sources skip that check. Signatures are still checked: the index is
    Debian's, only maybe not the newest.
    """
    # Security fixes live in a separate archive beside the main one (…/debian-security).
    security = mirror.rstrip("/") + "-security"
    options = "[check-valid-until=no] " if rolling else ""
    sources = [f"{mirror} {suite}", f"{mirror} {suite}-updates", f"{security} {suite}-security"]
    return "".join(f"deb {options}{source} main\n" for source in sources)


def _configure(target: Path, suite: str, mirror: str, rolling: bool) -> None:
    (target / "etc/apt/sources.list").write_text(sources_list(suite, mirror, rolling))
    (target / "etc/dpkg/dpkg.cfg.d/swegym-build-excludes").write_text(_DPKG_EXCLUDES)
    (target / "etc/apt/apt.conf.d/90swegym-build").write_text(_APT_CONFIG)
    policy = target / "usr/sbin/policy-rc.d"
    policy.write_text(_POLICY_RC_D)
    policy.chmod(0o755)


def _slim(target: Path) -> None:
    """Apply the dpkg excludes to what debootstrap already installed, and drop apt's caches."""
    for sub in (
        "var/cache/apt/archives",
        "var/lib/apt/lists",
        "usr/share/man",
        "usr/share/info",
        "usr/share/groff",
        "usr/share/lintian",
        "usr/share/linda",
    ):
        _empty_folder(target / sub, keep=lambda p: p.name in {"partial", "lock"})
    _empty_folder(target / "usr/share/locale", keep=lambda p: p.name == "locale.alias")
    doc = target / "usr/share/doc"
    if doc.is_dir():
        for package in doc.iterdir():
            _empty_folder(package, keep=lambda p: p.name == "copyright")
    for cache_file in (target / "var/cache/apt").glob("*.bin"):
        cache_file.unlink()


def _empty_folder(folder: Path, keep: Callable[[Path], bool]) -> None:
    if not folder.is_dir() or folder.is_symlink():
        return
    for entry in folder.iterdir():
        if keep(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _remove_tree(target: Path) -> None:
    """Remove a bootstrap folder, unmounting first whatever a failed debootstrap left mounted in it.

    Removing recursively through a still-mounted /proc or /sys would reach the host's own files.
    """
    prefix = str(target.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], check=False)
    shutil.rmtree(target, ignore_errors=True)
