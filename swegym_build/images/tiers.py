"""The env and instance tiers: their recipes, content-addressed tags and build contexts.

An env image is two parts: a prep image (harness/env/Dockerfile: the test user, Debian packages
and the venv for one Python, nothing of the repository), shared by every env with the same inputs,
then one install run over it with the repository unpacked, committed as one layer.

A tag is a digest of everything that goes into the image (template, generated scripts, build
args, the commits, the parent image's id), so an image is rebuilt exactly when an input changes
and `ensure_*` on an unchanged input is a look-up.

No future in any image: an env image's /testbed holds the tree of the version's *oldest*
instance base (the past of every instance of that version), while its dependencies are those of
the environment commit (the newest base): that tree is unpacked for the install run only and
removed in the same committed layer. An instance layer then adds only the forward diff from the
oldest base to its own base.
"""

from __future__ import annotations

import io
import logging
import re
import shlex
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import docker
import requests

from swegym_build.cache import engine_lock
from swegym_build.containment import TEST_UID
from swegym_build.dockerio import existing_image
from swegym_build.errors import BuildError
from swegym_build.images import snapshot
from swegym_build.images.base_image import BaseImage
from swegym_build.images.engine import build_image, inputs_digest, label_instruction, log_tail
from swegym_build.images.progress import Progress, report
from swegym_build.interrupt import remove, tracked
from swegym_build.labels import tier_labels
from swegym_build.pythons.provider import python_minor
from swegym_build.records import InstallConfig, repo_slug

log = logging.getLogger(__name__)

HARNESS = Path(__file__).resolve().parents[2] / "harness"
ENV_REPOSITORY = "swegym-build-env"
PREP_REPOSITORY = "swegym-build-env-prep"
INSTANCE_REPOSITORY = "swegym-build-instance"
# Part of every env and instance tag: bump it when the code that cuts a build context changes, so
# images made by the old code are not taken for current ones.
LAYOUT_VERSION = 5
# Where the environment commit's tree is unpacked during the env install run (and then removed).
DEPS_TREE = "/opt/swegym/deps-tree"


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    image_id: str
    size_bytes: int
    built: bool  # False when an image with this tag already existed


# An install of the project from its own tree: `pip install [-e] .`, `.[extras]`, `setup.py develop`.
_PROJECT_INSTALL = re.compile(
    r"""(?:\binstall\b.*?(?:\s|^)(?:-e\s+|--editable[= ]\s*)?['"]?\.(?:\[[^\]]*\])?['"]?(?:\s|$))"""
    r"|\bsetup\.py\s+(?:develop|install)\b"
)


def project_installs(commands: list[str]) -> list[str]:
    """The install commands an instance re-runs: those that install the project from its tree.

    Dependencies were installed in the env tier at the environment commit; re-installing them for an
    older base commit could downgrade the environment or need files that commit does not have.
    """
    return [command for command in commands if _PROJECT_INSTALL.search(command)]


def _fill(template: str, marker: str, lines: list[str]) -> str:
    return template.replace(f"# @{marker}@", "\n".join(lines) if lines else f"# (no {marker.lower()})")


# The venv's setuptools is below 81 (the release that removed pkg_resources; see the env
# Dockerfile). As a constraint it holds for isolated builds too, also under a pip a recipe
# downgrades to (hydra's pip<24.1), which knows no upload cut-off and would take the newest.
SETUPTOOLS_CONSTRAINT = "setuptools<81"


def pip_constraints(spec_constraints: Sequence[str]) -> list[str]:
    """The env's constraint file: the spec's, and setuptools below 81 unless the spec says."""
    return [*spec_constraints, *([] if constrains_setuptools(spec_constraints) else [SETUPTOOLS_CONSTRAINT])]


def constrains_setuptools(constraints: Sequence[str]) -> bool:
    """Whether one of `constraints` is setuptools' own (`setuptools-scm<8` is another package's)."""
    return any(re.match(r"setuptools(?![\w.-])", c.strip(), re.IGNORECASE) for c in constraints)


def install_steps(commands: list[str]) -> list[str]:
    """The recipe's commands as script lines that stop the script when they fail. `set -e` ignores
    a failure inside an `&&`/`||` list: `cd bokehjs && npm ci && cd ..` went on, in the wrong
    folder, after `npm ci` failed. Such a list is grouped and its status checked."""
    return [f"{{ {c}\n}} || exit $?" if "&&" in c or "||" in c else c for c in commands]


def _exports(env: dict[str, str]) -> list[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in sorted(env.items())]


def _write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if relative.endswith(".sh"):
            path.chmod(0o755)


@dataclass(frozen=True)
class PrepRecipe:
    """The env tier's first part: what it takes from the env's recipe is all of its inputs, so the
    attempts of a verification loop that change only the install commands share one."""

    base: BaseImage
    interpreter: str
    apt_packages: tuple[str, ...]
    constraints: tuple[str, ...]

    @cached_property
    def files(self) -> dict[str, str]:
        packages = [shlex.quote(p) for p in self.apt_packages]
        apt = _fill((HARNESS / "env" / "apt.sh").read_text(), "APT_PACKAGES", packages)
        dockerfile = (HARNESS / "env" / "Dockerfile").read_text().replace("@INTERPRETER@", self.interpreter)
        return {
            "Dockerfile": dockerfile,
            "swegym/apt.sh": apt,
            "swegym/constraints.txt": "".join(f"{c}\n" for c in self.constraints),
        }

    @cached_property
    def tag(self) -> str:
        digest = inputs_digest({"layout": LAYOUT_VERSION, "files": self.files, "base": self.base.image_id})
        (python,) = self.base.interpreters
        return f"{PREP_REPOSITORY}:{self.base.debian_suite}-py{python}.{digest[:12]}"


@dataclass(frozen=True)
class EnvRecipe:
    repo: str
    version: str
    setup_commit: str  # dependencies are installed as of this commit (the newest instance base)
    install_config: dict[str, Any]
    base: BaseImage
    tree_commit: str = ""  # /testbed holds this tree (the oldest instance base); "" = setup_commit

    @property
    def testbed_commit(self) -> str:
        return self.tree_commit or self.setup_commit

    @property
    def separate_deps_tree(self) -> bool:
        return self.testbed_commit != self.setup_commit

    @cached_property
    def config(self) -> InstallConfig:
        return InstallConfig.from_dict(self.install_config, f"{self.repo} {self.version}")

    @cached_property
    def prep(self) -> PrepRecipe:
        config = self.config
        interpreter = self.base.interpreters[python_minor(config.python)]
        return PrepRecipe(self.base, interpreter, tuple(config.apt_packages),
                          tuple(pip_constraints(config.pip_constraints)))  # fmt: skip

    @cached_property
    def install_script(self) -> str:
        config = self.config
        install = (HARNESS / "env" / "install.sh").read_text()
        install = install.replace("@DEPS_TREE@", DEPS_TREE if self.separate_deps_tree else "/testbed")
        install = _fill(install, "ENV", _exports(config.env))
        install = _fill(install, "PRE_INSTALL", install_steps(list(config.pre_install)))
        packages = config.pip_packages
        pip = [f"python -m pip install {' '.join(shlex.quote(p) for p in packages)}"] if packages else []
        install = _fill(install, "PIP_PACKAGES", pip)
        install = _fill(install, "INSTALL", install_steps(list(config.install)))
        return _fill(install, "PROJECT_INSTALL", install_steps(project_installs(list(config.install))))

    @property
    def cutoff_env(self) -> dict[str, str]:
        """Set on the install run, so the env image (its commit) keeps them for later installs."""
        cutoff = self.config.exclude_newer
        return {"PIP_UPLOADED_PRIOR_TO": cutoff, "UV_EXCLUDE_NEWER": cutoff} if cutoff else {}

    @cached_property
    def tag(self) -> str:
        digest = inputs_digest(
            {
                "layout": LAYOUT_VERSION,
                "prep": self.prep.tag,
                "install": self.install_script,
                "env": self.cutoff_env,
                "python": self.config.python,
                "commit": self.setup_commit,
                "tree": self.testbed_commit,
            }
        )
        return f"{ENV_REPOSITORY}:{repo_slug(self.repo).lower()}.{self.version}.{digest[:12]}"


@dataclass(frozen=True)
class InstanceRecipe:
    instance_id: str
    base_commit: str
    env: EnvRecipe
    env_image_id: str

    @cached_property
    def setup_script(self) -> str:
        config = self.env.config
        setup = _fill((HARNESS / "instance" / "setup.sh").read_text(), "ENV", _exports(config.env))
        return _fill(setup, "INSTALL", install_steps(project_installs(list(config.install))))

    @cached_property
    def tag(self) -> str:
        digest = inputs_digest(
            {
                "layout": LAYOUT_VERSION,
                "setup": self.setup_script,
                "env": self.env_image_id,
                "commit": self.base_commit,
                "env_tree": self.env.testbed_commit,
            }
        )
        return f"{INSTANCE_REPOSITORY}:{self.instance_id.lower()}.{digest[:12]}"


def ensure_env_image(
    client: docker.DockerClient,
    recipe: EnvRecipe,
    mirror: Path,
    log_file: Path,
    progress: Progress | None = None,
    timeout: float = 3600,
) -> BuiltImage:
    """The env image: its prep image (built once for all envs that share it), then one install
    run with the repository unpacked, committed."""
    tag = recipe.tag
    image = existing_image(client, tag)
    if image is not None:
        return BuiltImage(tag, str(image.id), int(image.attrs["Size"]), built=False)
    what = f"the env image of {recipe.repo} {recipe.version}"
    prep = ensure_prep_image(client, recipe.prep, log_file, what, progress)
    # Labels name only the tree the image holds: the environment commit is newer than most bases.
    labels = tier_labels("env", repo=recipe.repo, version=recipe.version, commit=recipe.testbed_commit)
    with tempfile.TemporaryDirectory(prefix="swegym-env-") as folder:
        payload = Path(folder) / "env.tar"
        _env_payload(recipe, mirror, Path(folder), payload)
        report(log, progress, f"installing the dependencies of {recipe.repo} {recipe.version}")
        install = ["bash", "/opt/swegym/install.sh"]
        _run_and_commit(client, prep.image_id, install, payload, tag, labels, log_file, what, timeout,
                        environment=recipe.cutoff_env, append_log=prep.built)  # fmt: skip
    image = client.images.get(tag)
    return BuiltImage(tag, str(image.id), int(image.attrs["Size"]), built=True)


def ensure_prep_image(
    client: docker.DockerClient, recipe: PrepRecipe, log_file: Path, what: str, progress: Progress | None
) -> BuiltImage:
    """The env tier's first part, built from harness/env/Dockerfile when missing (its output goes
    to the env's `log_file`). Parallel builds of envs that share it build it once."""
    with engine_lock(f"prep-{recipe.tag.replace(':', '_')}.lock"):
        image = existing_image(client, recipe.tag)
        if image is not None:
            report(log, progress, f"{what}: prep image {recipe.tag} is up to date")
            return BuiltImage(recipe.tag, str(image.id), int(image.attrs["Size"]), built=False)
        report(log, progress, f"{what}: building its prep image {recipe.tag} (log: {log_file})")
        with tempfile.TemporaryDirectory(prefix="swegym-prep-") as folder:
            _write_files(Path(folder), recipe.files)
            image = build_image(
                client,
                context=Path(folder),
                tag=recipe.tag,
                buildargs={"BASE_IMAGE": recipe.base.tag},
                labels=tier_labels("env-prep"),
                log_file=log_file,
                what=what,
                progress=progress,
            )
    return BuiltImage(recipe.tag, str(image.id), int(image.attrs["Size"]), built=True)


def _run_and_commit(
    client: docker.DockerClient,
    image_id: str,
    command: list[str],
    payload: Path,
    tag: str,
    labels: dict[str, str],
    log_file: Path,
    what: str,
    timeout: float,
    environment: dict[str, str] | None = None,
    append_log: bool = False,
) -> None:
    """Run `command` in a container of `image_id` with `payload` unpacked at /, and commit it as `tag`.

    One run and one commit give the image a single layer of its own (a Dockerfile would cost a
    layer per step), and what the run removes is in no layer at all. The commit keeps the run's
    `environment` in the image.
    """
    container = client.containers.create(
        image_id,
        command=command,
        environment=environment or {},
        # installs fetch packages, like the image builds do
        network_mode="host",
        labels=labels,
    )
    try:
        # an interrupt removes it: the wait returns, and the attempt ends as interrupted
        with tracked(container.id):
            container.put_archive("/", payload.read_bytes())
            container.start()
            try:
                exit_code = int(container.wait(timeout=timeout)["StatusCode"])
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError) as error:
                # docker-py's wait ends in a read timeout when the run outlives `timeout`; a loaded
                # engine answering late looks the same. Either way this attempt is over.
                raise BuildError(
                    f"building {what} failed: the run did not finish within {timeout:.0f} s"
                ) from error
            log_file.parent.mkdir(parents=True, exist_ok=True)
            with log_file.open("ab" if append_log else "wb") as out:
                out.write(container.logs(stdout=True, stderr=True))
            if exit_code != 0:
                raise BuildError(
                    f"building {what} failed: {command[-1]} exited with {exit_code} (log: {log_file})\n"
                    f"{log_tail(log_file)}"
                )
            repository, name = tag.split(":", 1)
            changes = ["WORKDIR /testbed", 'CMD ["bash"]', label_instruction(labels)]
            container.commit(repository=repository, tag=name, changes=changes)
    except docker.errors.DockerException as error:
        raise BuildError(f"building {what} failed: {error}") from error
    finally:
        remove(container)


def ensure_instance_image(
    client: docker.DockerClient, recipe: InstanceRecipe, mirror: Path, log_file: Path, timeout: float = 1800
) -> BuiltImage:
    """The instance image: one container run of the setup script over the env image, committed.

    One run and one commit give the image a single layer of its own; a Dockerfile would cost a
    layer commit per step.
    """
    tag = recipe.tag
    image = existing_image(client, tag)
    if image is not None:
        return BuiltImage(tag, str(image.id), int(image.attrs["Size"]), built=False)
    what = f"the image of {recipe.instance_id}"
    labels = tier_labels(
        "instance", instance_id=recipe.instance_id, repo=recipe.env.repo, base_commit=recipe.base_commit
    )
    with tempfile.TemporaryDirectory(prefix="swegym-instance-") as folder:
        payload = Path(folder) / "instance.tar"
        _instance_payload(recipe, mirror, Path(folder), payload)
        _run_and_commit(client, recipe.env_image_id, ["bash", "/opt/swegym/instance/setup.sh"], payload, tag,
                        labels, log_file, what, timeout)  # fmt: skip
    image = client.images.get(tag)
    return BuiltImage(tag, str(image.id), int(image.attrs["Size"]), built=True)


def _env_payload(recipe: EnvRecipe, mirror: Path, scratch: Path, dest: Path) -> None:
    """One tar, unpacked at / for the install run: /testbed's tree (the test user's), the
    environment commit's tree (when it is not /testbed's), a `.git` for each tree, so installs that
    read the version from git see it, and install.sh. install.sh removes the second tree and the
    `.git`s in the same run: no layer holds them."""
    testbed = scratch / "testbed.tar"
    snapshot.archive(mirror, recipe.testbed_commit, testbed, prefix="testbed/")
    parts = [_Part(testbed, owner=TEST_UID)]
    trees = [(recipe.testbed_commit, "testbed/")]
    if recipe.separate_deps_tree:
        deps = DEPS_TREE.lstrip("/") + "/"
        parts.append(_Part(scratch / "deps-tree.tar"))
        snapshot.archive(mirror, recipe.setup_commit, parts[-1].path, prefix=deps)
        trees.append((recipe.setup_commit, deps))
    for number, (commit, prefix) in enumerate(trees):
        parts.append(_Part(scratch / f"git-{number}.tar"))
        snapshot.single_commit_git_dir(mirror, commit, parts[-1].path, prefix=prefix)
    _concatenate(parts, dest)
    _append_file(dest, "opt/swegym/install.sh", recipe.install_script, 0o755)


@dataclass(frozen=True)
class _Part:
    path: Path
    owner: int | None = None  # a uid (and gid) for every member; None keeps the tar's


def _concatenate(parts: list[_Part], dest: Path) -> None:
    with tarfile.open(dest, "w") as out:
        for part in parts:
            with tarfile.open(part.path) as source:
                for member in source.getmembers():
                    if part.owner is not None:
                        member.uid = member.gid = part.owner
                        member.uname = member.gname = ""
                    out.addfile(member, source.extractfile(member) if member.isfile() else None)


def _append_file(tar: Path, name: str, text: str, mode: int) -> None:
    with tarfile.open(tar, "a") as out:
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        out.addfile(info, io.BytesIO(data))


def _instance_payload(recipe: InstanceRecipe, mirror: Path, scratch: Path, dest: Path) -> None:
    """One tar, unpacked at /: the changed files under testbed/, its .git, and the setup files."""
    changes, git_dir = scratch / "changes.tar", scratch / "git.tar"
    deleted = snapshot.changes(
        mirror, recipe.env.testbed_commit, recipe.base_commit, changes, prefix="testbed/"
    )
    snapshot.single_commit_git_dir(mirror, recipe.base_commit, git_dir, prefix="testbed/")
    _concatenate([_Part(changes), _Part(git_dir)], dest)
    _append_file(dest, "opt/swegym/instance/setup.sh", recipe.setup_script, 0o755)
    _append_file(dest, "opt/swegym/instance/deleted.z", "".join(f"{p}\0" for p in deleted), 0o644)
