"""Step 2 of the base tier: OS + CPython + git + build tools + uv, under a content-addressed tag.

The CPython comes from the first provider that has it (`swegym_build.pythons.provider`): a uv-managed build,
copied in from the host's cache, or the Debian release's own packages. The tag is a hash of
everything the image is made from (the Dockerfile template, the build arguments, the parent root
filesystem image id, the managed build's fingerprint, the uv version and the engine's
architecture), so an image is rebuilt only when one of those changes, and asking again for an
existing one costs one engine look-up.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.models.images import Image

from swegym_build.cache import cache_dir, engine_lock
from swegym_build.dockerio import existing_image
from swegym_build.errors import BuildError
from swegym_build.images.engine import build_image, inputs_digest
from swegym_build.images.progress import Progress, report
from swegym_build.images.rootfs import ensure_rootfs_image
from swegym_build.labels import tier_labels
from swegym_build.pythons.provider import ProvidedPython, provide_python, python_minor
from swegym_build.pythons.uv_binary import UV_VERSION, fetch_uv
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

BASE_REPOSITORY = "swegym-build-base"
TEMPLATE = Path(__file__).resolve().parents[2] / "harness" / "base" / "Dockerfile"
# Debian's place for locally added CA certificates (`update-ca-certificates` reads it).
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")


@dataclass(frozen=True)
class BaseImage:
    """A base image ready for the env tier to build on."""

    tag: str
    image_id: str
    debian_suite: str
    interpreters: dict[str, str]
    size_bytes: int
    built: bool
    provider: str = "debian"  # where its CPython came from: "uv" or "debian"
    python_source: str = ""  # the provider's description of that CPython


@dataclass(frozen=True)
class _Recipe:
    """What a base image is made from; its digest is the image's tag."""

    python: ProvidedPython
    template: str
    parent_tag: str
    parent_id: str
    arch: str
    ca_certificates: dict[str, str]

    @property
    def buildargs(self) -> dict[str, str]:
        managed = self.python.managed
        return {
            "ROOTFS_IMAGE": self.parent_tag,
            "PYTHON_VERSIONS": self.python.version,
            # a uv-managed build brings its own interpreter: no Debian python packages then
            "PYTHON_PACKAGES": "" if managed else " ".join(self.python.release.python_packages),
            "MANAGED_PYTHON": managed.name if managed else "",
        }

    @property
    def digest(self) -> str:
        managed = self.python.managed
        inputs = {
            "template": self.template,
            "buildargs": self.buildargs,
            "parent_id": self.parent_id,
            "uv": UV_VERSION,
            "arch": self.arch,
            "ca_certificates": self.ca_certificates,
            "managed_python": managed.fingerprint if managed else None,
        }
        return inputs_digest(inputs)

    @property
    def tag(self) -> str:
        provider = "uv-" if self.python.managed else ""
        suite = self.python.release.suite
        return f"{BASE_REPOSITORY}:{suite}-{provider}py{self.python.version}-{self.digest[:12]}"


def ensure_base_image(
    client: docker.DockerClient,
    python_versions: list[str],
    workdir: Path,
    progress: Progress | None = None,
    downloads: PythonDownloads | None = None,
) -> BaseImage:
    """Return the base image providing `python_versions`, building it (and its rootfs) only if missing.

    One version per image (an environment has one Python). Raises BuildError, before any work,
    when no provider has it (see `provide_python`), and when a bootstrap or build step fails.
    """
    wanted = sorted({python_minor(v) for v in python_versions})
    if len(wanted) != 1:
        raise BuildError(f"a base image provides one Python version, not {', '.join(wanted) or 'none'}")
    cache = cache_dir(workdir)
    python = provide_python(wanted[0], cache, downloads or PythonDownloads.from_env())
    if isinstance(python, str):
        raise BuildError(f"{python}. Give a mirror of python-build-standalone (--python-mirror) or "
                         "pin the spec to a version a provider has.")  # fmt: skip
    rootfs = ensure_rootfs_image(client, python.release, cache, progress)
    recipe = _Recipe(
        python=python,
        template=_read_template(),
        parent_tag=rootfs.tag,
        parent_id=rootfs.image_id,
        arch=str(client.info()["Architecture"]),
        ca_certificates=host_ca_certificates(),
    )
    image = existing_image(client, recipe.tag)
    if image is not None:
        report(log, progress, f"base image {recipe.tag} is up to date; nothing to build")
        return _describe(recipe, image, built=False)
    with engine_lock(f"base-{recipe.digest}.lock"):
        # A parallel run may have built it while this one waited for the lock.
        image = existing_image(client, recipe.tag)
        if image is not None:
            return _describe(recipe, image, built=False)
        uv_folder = fetch_uv(cache, recipe.arch)
        log_file = Workspace.resolve(workdir).log_dir("build", "base") / f"{recipe.tag.split(':', 1)[1]}.log"
        image = _build(client, recipe, uv_folder, log_file, progress)
    return _describe(recipe, image, built=True)


def host_ca_certificates() -> dict[str, str]:
    """The CA certificates added locally on this host (file name -> PEM text), to be trusted in images.

    A machine behind a TLS-inspecting proxy reaches PyPI only by trusting the proxy's CA; the images
    built on it need the same trust. Their content is part of the image's tag.
    """
    if not HOST_CA_DIR.is_dir():
        return {}
    return {
        str(path.relative_to(HOST_CA_DIR)).replace("/", "_"): path.read_text()
        for path in sorted(HOST_CA_DIR.rglob("*.crt"))
    }


def _read_template() -> str:
    try:
        return TEMPLATE.read_text()
    except OSError as exc:
        raise BuildError(f"the base Dockerfile template {TEMPLATE} cannot be read: {exc}") from exc


def _build(
    client: docker.DockerClient,
    recipe: _Recipe,
    uv_folder: Path,
    log_file: Path,
    progress: Progress | None,
) -> Image:
    report(log, progress, f"building base image {recipe.tag} (log: {log_file})")
    labels = tier_labels(
        "base",
        python=recipe.python.version,
        python_provider=recipe.python.provider,
        python_source=recipe.python.description,
        debian_suite=recipe.python.release.suite,
        uv=UV_VERSION,
        inputs_digest=recipe.digest,
    )
    with tempfile.TemporaryDirectory(prefix="swegym-base-") as context:
        (Path(context) / "Dockerfile").write_text(recipe.template)
        files = Path(context) / "files"  # laid out as in the image: one COPY puts it all in place
        binaries = files / "usr" / "local" / "bin"
        binaries.mkdir(parents=True)
        for name in ("uv", "uvx"):
            shutil.copy2(uv_folder / name, binaries / name)
        managed = files / "opt" / "python"
        managed.mkdir(parents=True)
        if recipe.python.managed is not None:
            shutil.copytree(recipe.python.managed.path, managed / recipe.python.managed.name, symlinks=True)
        ca_folder = files / "usr" / "local" / "share" / "ca-certificates" / "swegym-build-host"
        ca_folder.mkdir(parents=True)
        for name, pem in recipe.ca_certificates.items():
            (ca_folder / name).write_text(pem)
        image = build_image(
            client,
            context=Path(context),
            tag=recipe.tag,
            buildargs=recipe.buildargs,
            labels=labels,
            log_file=log_file,
            what=f"base image {recipe.tag}",
            progress=progress,
        )
    report(log, progress, f"built base image {recipe.tag} ({image.attrs['Size'] / 1e6:.0f} MB)")
    return image


def _describe(recipe: _Recipe, image: Image, built: bool) -> BaseImage:
    return BaseImage(
        tag=recipe.tag,
        image_id=str(image.id),
        debian_suite=recipe.python.release.suite,
        interpreters={recipe.python.version: recipe.python.interpreter},
        size_bytes=int(image.attrs["Size"]),
        built=built,
        provider=recipe.python.provider,
        python_source=recipe.python.description,
    )
