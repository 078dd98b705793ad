"""Reading pip install arguments found in tox.ini, noxfile.py and CI workflows.

Every argument ends up as exactly one of: a requirement file (`-r`), a constraint file (`-c`),
extras of the project itself (`.[test]`), another local directory to install, a PEP 508
requirement, an option that is ignored, or something dropped with a warning naming the file.
A requirement file is never passed to pip as a package name.
"""

from __future__ import annotations

import posixpath
import re

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from swegym_build.specs.drafting.snapshot import Findings, Snapshot

# pip options that take a value as the next argument (so the value is not a package)
_VALUED_OPTIONS = frozenset(
    {
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--only-binary",
        "--no-binary",
        "--prefix",
        "--target",
        "-t",
        "--root",
        "--upgrade-strategy",
        "--config-settings",
        "-C",
        "--python",
        "--platform",
        "--implementation",
        "--abi",
        "--python-version",
        "--progress-bar",
        "--timeout",
        "--retries",
        "--cache-dir",
        "--src",
        "--trusted-host",
        "--report",
    }
)
# what an expression that cannot be resolved becomes, so readers drop it silently (the warning
# is given once, with the expression, where it is met)
UNRESOLVED = "__swegym_unresolved__"
# requirement files for building docs, linting or benchmarks are not what the tests need
_NOT_FOR_TESTS = re.compile(r"doc|lint|bench|release", re.I)
_PACKAGING = ("setup.py", "pyproject.toml", "setup.cfg")
_REQUIREMENT_OPTIONS = ("-r", "--requirement")
_CONSTRAINT_OPTIONS = ("-c", "--constraint")
_EDITABLE_OPTIONS = ("-e", "--editable")
_REQUIREMENT_FILE_SUFFIXES = (".txt", ".in")
# installed to drive the tests, build things or lint, not needed by the tests themselves (the
# env images come with pip and setuptools)
_TOOLS = frozenset(
    {
        "tox",
        "nox",
        "twine",
        "build",
        "pre-commit",
        "codecov",
        "coveralls",
        "uv",
        "poetry",
        "pdm",
        "pipenv",
        "hatch",
        "tox-gh-actions",
        "pip",
        "setuptools",
        "wheel",
        "virtualenv",
        "black",
        "flake8",
        "pylint",
        "isort",
        "ruff",
        "codespell",
        "pydocstyle",
        "pycodestyle",
    }
)
_LINTER_PLUGIN = re.compile(r"^flake8-")
_PYTEST = re.compile(r"^pytest$", re.IGNORECASE)


def take_install_args(found: Findings, args: list[str], source: str, snap: Snapshot, base: str = "") -> None:
    """Sort the arguments of one `pip install` (already split into words) into `found`.

    `base` is the directory relative paths are read from (a tox.ini's or workflow's working
    directory, the repository root by default); `source` names the file for warnings.
    """
    words = iter(args)
    for word in words:
        option, _, attached = word.partition("=") if word.startswith("--") else (word, "", "")
        if word in _REQUIREMENT_OPTIONS or word in _CONSTRAINT_OPTIONS or word in _EDITABLE_OPTIONS:
            value = next(words, None)
            if value is None:
                found.warn(f"{source}: `{word}` without a value dropped")
                continue
            _take_option(found, word, value, source, snap, base)
        elif option in ("--requirement", "--constraint", "--editable") and attached:
            _take_option(found, option, attached, source, snap, base)
        elif re.match(r"^-[rce]\S", word):
            _take_option(found, word[:2], word[2:], source, snap, base)
        elif word in _VALUED_OPTIONS:
            next(words, None)
        elif word.startswith("-"):
            continue
        else:
            take_requirement(found, word, source, snap, base)


def _take_option(found: Findings, option: str, value: str, source: str, snap: Snapshot, base: str) -> None:
    if option in _EDITABLE_OPTIONS:
        take_requirement(found, value, source, snap, base)
        return
    path = _local_path(value, base)
    kind = "requirement file" if option in _REQUIREMENT_OPTIONS else "constraint file"
    if UNRESOLVED in value:
        return
    if path is None or path not in snap.files:
        found.warn(f"{source}: {kind} {value!r} dropped (not a file in the repository at this commit)")
    elif _NOT_FOR_TESTS.search(path):
        found.warn(f"{source}: {kind} {path!r} left out (for docs, linting or benchmarks, not the tests)")
    elif option in _REQUIREMENT_OPTIONS:
        found.add_requirement_file(path, source)
    else:
        found.add_constraint_file(path, source)


def take_requirement(found: Findings, word: str, source: str, snap: Snapshot, base: str = "") -> None:
    """One requirement-like argument: a package, the project or a local path, or a file name."""
    text = word.strip()
    if not text or UNRESOLVED in text:  # already warned about, with the expression
        return
    if "$" in text or "{" in text or "}" in text:
        found.warn(f"{source}: {text!r} dropped (an unresolved variable or substitution)")
        return
    if "://" in text or text.startswith(("git+", "hg+", "svn+", "bzr+")):
        found.warn(f"{source}: {text!r} dropped (a URL; drafted recipes install from the package index)")
        return
    bare = text.split("[", 1)[0]
    if bare.lower().endswith(_REQUIREMENT_FILE_SUFFIXES):
        path = _local_path(bare, base)
        if path is not None and path in snap.files:
            found.add_requirement_file(path, source)
            found.warn(f"{source}: {text!r} is a requirements file named as a package; installed with -r")
        else:
            found.warn(f"{source}: {text!r} dropped (looks like a requirements file, none at that path)")
        return
    if _looks_like_path(bare):
        _take_local(found, text, bare, source, snap, base)
        return
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        found.warn(f"{source}: {text!r} dropped (not a valid requirement)")
        return
    name = canonicalize_name(requirement.name)
    if name in _TOOLS or _LINTER_PLUGIN.match(name):
        return
    if requirement.url:
        found.warn(f"{source}: {text!r} dropped (a URL; drafted recipes install from the package index)")
        return
    _add_package(found, text, requirement, source)
    if _PYTEST.match(requirement.name) and found.runner is None:
        found.runner = "pytest"
        found.note("test_cmd", f"pytest in {source}")


def _take_local(found: Findings, text: str, bare: str, source: str, snap: Snapshot, base: str) -> None:
    path = _local_path(bare, base)
    extras = re.findall(r"[\w.-]+", text[len(bare) :].strip("[]")) if "[" in text else []
    if path == ".":
        found.add_extras(extras, source)
        found.note("install", f"{source} installs the project")
    elif path is not None and any(f"{path}/{name}" in snap.files for name in _PACKAGING):
        local = f"./{path}" + (f"[{','.join(extras)}]" if extras else "")
        if local not in found.local_paths:
            found.local_paths.append(local)
            found.note("install", f"{source} installs the local directory {path}")
    else:
        found.warn(f"{source}: {text!r} dropped (no installable project at that path at this commit)")


def _looks_like_path(text: str) -> bool:
    return text in (".", "..") or text.startswith(("./", "../", "/", "file:")) or "/" in text


def _local_path(value: str, base: str) -> str | None:
    """`value` as a path relative to the repository root, or None when it leaves the repository."""
    value = value.removeprefix("file:")
    if value.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(base, value)) if base else posixpath.normpath(value)
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def _add_package(found: Findings, text: str, requirement: Requirement, source: str) -> None:
    """One entry per package: the same name asked for with other pins (a CI matrix's versions of
    torch, a job per pin) cannot all be installed at once, so it is kept unpinned, for the
    resolver to pick the version of the recipe's date."""
    name = canonicalize_name(requirement.name)
    for position, existing in enumerate(found.pip_packages):
        try:
            other = Requirement(existing)
        except InvalidRequirement:
            continue
        if canonicalize_name(other.name) != name:
            continue
        if existing != text:
            extras = sorted(set(other.extras) | set(requirement.extras))
            bare = requirement.name + (f"[{','.join(extras)}]" if extras else "")
            if other.specifier != requirement.specifier and existing != bare:
                found.warn(f"{source}: {name} asked for as {existing!r} and {text!r}; installed unpinned")
            found.pip_packages[position] = bare
        return
    found.pip_packages.append(text)
    found.note("pip_packages", source)
