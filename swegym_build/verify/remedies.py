"""Candidates read from a failed attempt's log: the loop tries them before the fixed list's next.

The fixed list (`candidates`) is decided before anything runs, so every retry of a failure it
does not foresee fails the same way. Some failures name their own cure:

- pip finds no version at all of a requirement the recipe lists (`from versions: none`: the
  package left PyPI, as withdrawn stub packages do) -> the recipe without it;
- pip finds versions, but none that the pin allows (a pin older than the Python, or newer than
  the cut-off) -> the recipe with that requirement unpinned;
- a command the install or the tests run is missing (`java: not found`) -> the recipe with the
  Debian package that provides it;
- a module is missing (`No module named 'yaml'`) that the project's files do not provide: when
  one of its requirements files lists the module's distribution, the candidate installing that
  file goes first; when no packaging file names it (a test dependency its CI installs by hand),
  the recipe with it as a pip package (`PyYAML`: import names that are not the distribution's
  are looked up in a short table); a module of the tree itself, or of the standard library, is
  not a package to install;
- a module imports what setuptools vendored until release 71 (`pkg_resources._vendor.packaging`,
  as ray 2.x does), or a warning that setuptools raises fails the tests (`pkg_resources is
  deprecated`, a deprecation in setuptools' own distutils) under a suite's `filterwarnings =
  error`: the env's setuptools is the newest below 81, for builds, while the suite knew its
  era's -> the venv's setuptools as of the cut-off after the installs;
- pytest warns that it cannot rewrite a PEP 660 editable finder (`Module already imported so
  cannot be rewritten: __editable___..._finder`: the project ships a pytest plugin, so pytest
  marks every module of its distribution for rewriting, and today's setuptools installs it
  editable through a finder its era did not have), which `filterwarnings = error` makes fatal
  -> the test command with `-W ignore::pytest.PytestAssertRewriteWarning` (a command-line
  filter wins over the ini's; the era's setuptools in the venv does not help, measured on hydra
  1.2: the isolated build installs the project all the same);
- pytest stops at an option of the project's `addopts` that no installed plugin adds
  (`unrecognized arguments: --cov-config=...`) -> the recipe with the plugin that adds it; a
  marker no installed plugin registers (`Unknown pytest.mark.flaky`, fatal under
  `filterwarnings = error` or `--strict-markers`) -> likewise;
- test modules do not import because they need a module that no file of the project names (a
  GPU library, an engine only conda builds) -> after the cure that installs it, the recipe with
  them in `collect_ignore`, when the rest of the tree collects tests and they are at most
  `IGNORABLE_SHARE` of its test modules (validate rejects an instance whose tests are there);
  likewise a module that imports a name the project's own package defines only when such a
  module imports (`cannot import name 'X' from 'pkg.sub'`), and the modules of an import file
  mismatch: after the import-mode cure below, or before it when a test module of a package
  imports relatively (which that mode fails before pytest 8.1);
- pip (24.1 and later) refuses a release whose metadata holds a legacy specifier (`Ignoring version
  2.1.0.dev26 of omegaconf since it has invalid metadata`: its `PyYAML>=5.1.*`), and then finds no
  version the pin allows -> the recipe's pip installs done by uv, which reads such metadata
  leniently and keeps the cut-off, constraints and wheels (its UV_ settings beside pip's); not
  the pin unpinned, which the same refusal meets;
- pip finds no version that a pin in a package's own metadata allows (`moto==1.3.16.dev122; extra
  == "tests" (from dvc[tests])`: a dev build since deleted, pinned by the project's extra or by a
  dependency, where no recipe line names it) -> the recipe's pip installs done by uv with an
  override (`UV_OVERRIDE`) of that requirement: the pin's release when the index has it
  (`moto==1.3.16`), else the name alone, which the cut-off bounds;
- pytest cannot collect two test modules of one basename (`import file mismatch`: test folders
  without `__init__.py`, which a project's CI runs one at a time) -> the test command with
  `--import-mode=importlib`, which imports each test file by its path;
- a collection log that names two or more of the cures above that change only the collection (the
  test command, its plugins, `collect_ignore`) -> first the recipe with all of them at once.

Only requirements the recipe itself names are changed: a `pip_packages` entry, an argument of a
pip install command, or a line of a requirements file an install command passes with `-r` (a
filtered copy beside the file is installed instead; the repository's file is not edited). A
failure that names a dependency of a dependency, or of the project itself, has no remedy here.
Nothing runs: the same log and files give the same candidates.

An install that cannot reach a host (npm's registry, GitHub, from a machine that reaches PyPI
only) is cured only when the recipe itself names what it fetched there by URL (`git+https://
github.com/org/tool.git@sha` in a requirements file, `NAME @ URL`, a wheel's URL): those
requirements are taken from the index by their names. Otherwise `unreachable_host` names the
host, and the loop stops there instead of rebuilding every candidate to fail the same way.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from swegym_build.images.tiers import constrains_setuptools
from swegym_build.specs.drafting.metadata import requirement_files
from swegym_build.specs.drafting.python import as_tuple
from swegym_build.testpaths import is_test_path
from swegym_build.verify.candidates import Candidate
from swegym_build.verify.collection import count_tests

ReadFile = Callable[[str], "str | None"]

# Part of a drafted verification's inputs: bump it when a cure or the loop's order changes, so a version
# that failed with the older cures is tried again (a failure is otherwise reused, and an upgrade
# would never reach it).
# 7: a missing system library gets its Debian package; 8: no Python long after the commit;
# 9: the collection cures a log names, all in one recipe; more modules left out
CURES_REVISION = 9


class Tree(Protocol):
    """The repository's files at the environment commit (a `Snapshot`)."""

    @property
    def files(self) -> Collection[str]: ...

    def read(self, path: str) -> str | None: ...


# pip's resolver, when nothing on the index matches: the requirement and what the index has
_NO_VERSION = re.compile(
    r"Could not find a version that satisfies the requirement (?P<req>\S+)"
    r" \(from versions: (?P<found>[^)]*)\)"
)
# how a missing executable shows: Python's subprocess, bash, dash
_MISSING_COMMAND = re.compile(
    r"No such file or directory: '(?P<a>[\w.+-]+)'|\b(?P<b>[\w.+-]+): command not found"
    r"|\bsh: (?:\d+: )?(?P<c>[\w.+-]+): not found|\bError: (?P<d>[\w.+-]+) executable not found"
    r"|error: can't find (?P<e>Rust) compiler"  # setuptools-rust building an sdist (tokenizers)
)
# The Debian packages that give a command (in every Debian release the bases use).
COMMAND_PACKAGES: dict[str, tuple[str, ...]] = {
    "java": ("default-jre-headless",),
    "javac": ("default-jdk-headless",),
    "node": ("nodejs",),
    "npm": ("nodejs", "npm"),
    "npx": ("nodejs", "npm"),
    "go": ("golang-go",),
    "cargo": ("cargo",),
    "rustc": ("rustc",),
    "Rust": ("cargo",),  # "can't find Rust compiler": cargo brings rustc
    "make": ("make",),
    "cmake": ("cmake",),
    "pkg-config": ("pkg-config",),
    "gcc": ("gcc",),
    "g++": ("g++",),
    "gfortran": ("gfortran",),
    "git": ("git",),
    "pg_config": ("libpq-dev",),  # psycopg2 built from source
    "mysql_config": ("default-libmysqlclient-dev",),  # mysqlclient
    "Rscript": ("r-base",),
}
# A C build missing a system library: the compiler on a header, pkg-config on a module, or the
# check of a package that builds against it (matplotlib < 3.3 from its sdist: FreeType, libpng).
_MISSING_LIBRARY = re.compile(
    r"fatal error: (?P<header>[\w/.+-]+\.h): No such file or directory"
    r"|Package '?(?P<module>[\w.+-]+)'?,? (?:was not found in the pkg-config search path|not found)"
    r"|(?P<freetype>FreeType) version [\d.]+ or higher is required"
)
# The Debian packages that give a header or pkg-config module (in every Debian release the bases use).
LIBRARY_PACKAGES: dict[str, tuple[str, ...]] = {
    "ft2build.h": ("libfreetype-dev",),
    "freetype2": ("libfreetype-dev",),
    "FreeType": ("libfreetype-dev", "libpng-dev"),  # matplotlib < 3.3: FreeType, then libpng
    "png.h": ("libpng-dev",),
    "libpng": ("libpng-dev",),
    "zlib.h": ("zlib1g-dev",),
    "ffi.h": ("libffi-dev",),
    "libffi": ("libffi-dev",),
    "openssl/ssl.h": ("libssl-dev",),
    "openssl/opensslv.h": ("libssl-dev",),
    "libxml/xmlversion.h": ("libxml2-dev",),
    "libxslt/xsltconfig.h": ("libxslt1-dev",),
    "jpeglib.h": ("libjpeg-dev",),
    "hdf5.h": ("libhdf5-dev",),
    "yaml.h": ("libyaml-dev",),
    "sqlite3.h": ("libsqlite3-dev",),
    "bzlib.h": ("libbz2-dev",),
    "lzma.h": ("liblzma-dev",),
    "snappy-c.h": ("libsnappy-dev",),
    "cairo.h": ("libcairo2-dev",),
    "cairo": ("libcairo2-dev",),
    "krb5.h": ("libkrb5-dev",),
    "gssapi/gssapi.h": ("libkrb5-dev",),
    "sasl/sasl.h": ("libsasl2-dev",),
    "libpq-fe.h": ("libpq-dev",),
    "portaudio.h": ("portaudio19-dev",),
    "geos_c.h": ("libgeos-dev",),
    "gmp.h": ("libgmp-dev",),
    "curl/curl.h": ("libcurl4-openssl-dev",),
    "readline/readline.h": ("libreadline-dev",),
    "uuid/uuid.h": ("uuid-dev",),
    "lz4.h": ("liblz4-dev",),
    "zstd.h": ("libzstd-dev",),
}
_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '(?P<module>[\w.]+)'")
_RELATIVE_IMPORT = re.compile(r"^\s*from \.+[\w.]* import ", re.MULTILINE)
_UNEXPORTED = re.compile(r"ImportError: cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'")
# pytest's ERRORS part: a header per module it could not collect (at least one `_` a side), and
# the `===` lines that start its summary
_COLLECT_SECTION = re.compile(r"^_+ ERROR collecting (?P<path>\S+) _+$", re.MULTILINE)
_SUMMARY_LINE = re.compile(r"^=+ ", re.MULTILINE)
# the ignore cure leaves out at most this share of the tree's test modules
IGNORABLE_SHARE = 0.25
# Import names whose distribution is named otherwise (the common ones; others are tried as named).
MODULE_DISTRIBUTIONS: dict[str, str] = {
    "yaml": "PyYAML",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "cv2": "opencv-python-headless",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "attr": "attrs",
    "jwt": "PyJWT",
    "Crypto": "pycryptodome",
    "serial": "pyserial",
    "zmq": "pyzmq",
    "dotenv": "python-dotenv",
    "git": "GitPython",
    "OpenSSL": "pyOpenSSL",
    "google.protobuf": "protobuf",
    "pkg_resources": "setuptools",
    "setuptools": "setuptools",
    "distutils": "setuptools",
    "mpl_toolkits": "matplotlib",
    "magic": "python-magic",
    "Levenshtein": "python-Levenshtein",
}
# warnings of a newer setuptools than the suite's era, made errors by its pytest config
# (pytest's forms only: every env build log shows the pkg_resources warning of the Dockerfile's
# own check, which failed nothing)
_SETUPTOOLS_WARNING = re.compile(
    r"^E\s+\w*Warning: pkg_resources is deprecated as an API"
    r"|site-packages/(?:setuptools|pkg_resources)/\S+: in \w+\n(?:.*\n){0,3}?E\s+\w*Warning:",
    re.MULTILINE,
)
# an import of what setuptools vendored until 71 (ray 2.x's `pkg_resources._vendor.packaging`)
_VENDORED = re.compile(r"No module named '(?:pkg_resources|setuptools)\._vendor\b")
# the venv's setuptools as the cut-off had it (not the find-links one, which carries no date)
# (forced: the newest below 81 already meets `<81`, and pip keeps what meets a requirement)
ERA_SETUPTOOLS = "env -u PIP_FIND_LINKS python -m pip install --force-reinstall --no-deps 'setuptools<81'"
# a distribution whose build failed: pip's forms (a wheel, an editable, the metadata step, the
# summaries) and uv's, which names the pin (`Failed to build `lxml==4.2.3``)
_BUILD_FAILED = re.compile(
    r"Failed building (?:wheel|editable) for (?P<wheel>[A-Za-z0-9][\w.-]*)"
    r"|Failed to build '(?P<step>[A-Za-z0-9][\w.-]*)' when"
    r"|for some pyproject\.toml based projects(?: \(|\s*╰─> )(?P<some>[A-Za-z0-9][\w.-]*)"
    r"|Failed to build `(?P<uv>[A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?=="
    r"|^Failed to build (?P<summary>[A-Za-z0-9][\w.-]*)$",
    re.MULTILINE,
)
# pip <= 25 failing a package's metadata or build-requirements step names no package ("╰─> See
# above for output."): the package is the one pip was collecting when the step failed
_METADATA_FAILED = re.compile(
    r"^Collecting (?P<name>[A-Za-z0-9][\w.-]*)[^\n]*\n(?:(?!Collecting )[^\n]*\n)*?[^\n]*"
    r"(?:Preparing metadata \([^)]*\)|Getting requirements to build (?:wheel|editable)"
    r"|Installing build dependencies)(?: \.\.\. |: finished with status ')error",
    re.MULTILINE,
)
# setuptools >= 66 (packaging 22+ inside) refusing a legacy specifier in a package's own metadata
# (yamllint 1.26.1's `python_requires = >=3.5.*`, in hydra 1.1's env; setup.cfg's form is
# packaging's exception, setup.py's is setuptools' own message): 65 is the last release that reads
# them, and has PEP 660 editables (64+); its pkg_resources needs pkgutil.ImpImporter, gone in
# Python 3.12. As a constraint it holds for the env's setuptools, and the prep image's find-links
# get 65 (downloaded under the constraints, with no cut-off: 65 came out after some eras'). Isolated
# builds take the file when told: pip 26 no longer applies PIP_CONSTRAINT to them
# (PIP_BUILD_CONSTRAINT does, and refuses --no-build-isolation, whose builds use the env's
# setuptools anyway), nor does uv UV_CONSTRAINT.
_LEGACY_SPECIFIER = re.compile(
    r"(?:InvalidSpecifier: |valid version specifiers; )Invalid specifier: '(?P<spec>[^']+)'"
)
_NO_BUILD_ISOLATION = re.compile(r"(?P<pip>(?:python3? -m pip|pip3?) install\b[^;&|]*--no-build-isolation)")
LEGACY_SPECIFIER_SETUPTOOLS = "setuptools<66"
_EDITABLE_FINDER = re.compile(r"Module already imported so cannot be rewritten: __editable__")
_REWRITE_IGNORED = "-W ignore::pytest.PytestAssertRewriteWarning"
_UNKNOWN_OPTION = re.compile(r"error: unrecognized arguments: (?P<options>.+)")
# A frame of pytest's entry point (pytest 9 names it _console_main), which only pytest's own
# traceback holds, and one of an installed pytest plugin (pytest_snail/plugin.py).
_PYTEST_MAIN = re.compile(r"in _?console_main$", re.MULTILINE)
_PLUGIN_FRAME = re.compile(r'File "[^"]*/site-packages/pytest_(?P<name>[A-Za-z0-9_]+)/')
# The plugins that add an option projects put in `addopts` (by its prefix).
OPTION_PLUGINS: dict[str, str] = {
    "--cov": "pytest-cov",
    "--no-cov": "pytest-cov",
    "-n": "pytest-xdist",
    "--numprocesses": "pytest-xdist",
    "--dist": "pytest-xdist",
    "--timeout": "pytest-timeout",
    "--reruns": "pytest-rerunfailures",
    "--benchmark": "pytest-benchmark",
    "--asyncio-mode": "pytest-asyncio",
    "--doctest-plus": "pytest-doctestplus",
    "--mypy": "pytest-mypy",
    "--randomly": "pytest-randomly",
    "--hypothesis": "hypothesis",
    "--mpl": "pytest-mpl",
    "--remote-data": "pytest-remotedata",
    "--snapshot": "syrupy",
}
# The plugins that add a marker projects use (`Unknown pytest.mark.X` when the plugin is missing,
# an error under --strict-markers or `filterwarnings = error`).
MARK_PLUGINS: dict[str, str] = {
    "flaky": "pytest-rerunfailures",
    "timeout": "pytest-timeout",
    "asyncio": "pytest-asyncio",
    "trio": "pytest-trio",
    "benchmark": "pytest-benchmark",
    "django_db": "pytest-django",
    "mpl_image_compare": "pytest-mpl",
    "remote_data": "pytest-remotedata",
    "xdist_group": "pytest-xdist",
    "order": "pytest-order",
    "dependency": "pytest-dependency",
    "repeat": "pytest-repeat",
    "forked": "pytest-forked",
    "vcr": "pytest-recording",
    "freeze_time": "pytest-freezer",
}
_UNKNOWN_MARK = re.compile(
    r"PytestUnknownMarkWarning: Unknown pytest\.mark\.(?P<mark>\w+)"
    r"|'(?P<strict>\w+)' not found in `markers` configuration option"
)
_FLAKY_PACKAGE = re.compile(r"mark\.flaky\([^)]*\b(?:max_runs|min_passes)\b")
_PACKAGING_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
# how a host that cannot be resolved or reached shows: npm, curl/git (a name that does not
# resolve; a connection refused, timed out or unroutable), cargo (libgit2), urllib3 (pip)
_UNREACHABLE = re.compile(
    r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (?P<npm>[\w.-]+)"
    r"|(?:Could not resolve host: |Failed to connect to |failed to resolve address for )(?P<curl>[\w.-]+)"
    r"|host='(?P<pip>[\w.-]+)'.*?(?:Name or service not known|Temporary failure in name resolution"
    r"|Network is unreachable)"
)
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?")
# a requirement fetched by URL, not from the index: `NAME @ URL`, a VCS URL, an archive's URL
_URL = re.compile(
    r"^(?:(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?\s*@\s*)?"
    r"(?P<url>(?P<vcs>(?:git|hg|svn|bzr)\+)?[a-z]+://(?:[^/@\s]*@)?(?P<host>[^/:\s]+)[^\s;]*)"
)
# pip >= 24.1 passing over a release for its metadata (a legacy specifier such as `>=5.1.*`)
_INVALID_METADATA = re.compile(
    r"Ignoring version (?P<version>\S+) of (?P<name>\S+) since it has invalid metadata"
)
# a pip install at the start of a command or of one of its `&&` steps, with any `env -u PIP_...`
_PIP_STEP = re.compile(r"(?P<lead>^|&& )(?P<env>env(?: -u \w+)+ )?(?:python3? -m pip|pip3?) install\b")
# pip's resolver, when nothing matches a requirement some package's metadata holds (`(from PARENT)`)
_NO_VERSION_FOR = re.compile(
    r"Could not find a version that satisfies the requirement (?P<req>[^\s;]+)(?:;[^(]*)?"
    r" \(from (?P<parent>[^)]+)\) \(from versions: (?P<found>[^)]*)\)"
)
# the env's constraints file (harness/env/Dockerfile: PIP_CONSTRAINT, UV_CONSTRAINT)
CONSTRAINTS_FILE = "/opt/swegym/constraints.txt"
# uv's overrides file (UV_OVERRIDE), written by the recipe's pre_install into the env image, where
# the instance tier's project install reads it too
OVERRIDES_FILE = "/opt/swegym/overrides.txt"
_EDITABLE = re.compile(r"(?:-e|--editable)(?:\s+|=)")
_PIP_INSTALL = re.compile(r"^(?:python3? -m pip|pip3?|uv pip) install\s")
_SHELL_OPERATORS = re.compile(r"[;&|<>`$()]")
FILTERED_SUFFIX = ".swegym"
_VALUED_OPTIONS = {"-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links"}


def remedies(failed: Candidate, log: str, tree: Tree) -> list[Candidate]:
    """What the log of `failed`'s attempt says to try next (none when it names no cure)."""
    config = failed.install_config
    host = unreachable_host(log)
    cure = (
        (_url_cure(config, host, tree) or _url_override_cure(config, host, log)) if host is not None else None
    )
    if cure is not None:
        # the install stopped on the network: taking what it fetched there from the index comes first
        return [cure]
    cures = (
        _metadata_cure,
        _pip_cure,
        _override_cure,
        _legacy_specifier_cure,
        _unbuilt_pin_cure,
        _command_cure,
        _library_cure,
        _module_cure,
        _setuptools_cure,
        _crashed_plugin_cure,
    )
    found = [c for c in (cure(config, log, tree) for cure in cures) if c is not None]
    collection = [c for c in (cure(config, log, tree) for cure in _COLLECTION_CURES) if c is not None]
    if len(collection) > 1:
        collection.insert(0, _combined(config, log, tree))
    # importlib's import mode keeps the modules of an import file mismatch, which the ignore cure
    # leaves out; but before pytest 8.1 it imports each file without its package, which fails
    # every test module that imports relatively (drafted modin 0.11: 8 such modules)
    import_mode = _import_mode_cure(config, log, tree)
    if import_mode is not None:
        collection.insert(len(collection) if _tests_import_relatively(tree) else 0, import_mode)
    return found + collection


def _tests_import_relatively(tree: Tree) -> bool:
    """Whether a test module of a package (a folder with `__init__.py`) imports relatively."""
    files = set(tree.files)
    return any(
        path.endswith(".py")
        and is_test_path(path)
        and f"{path.rpartition('/')[0]}/__init__.py" in files
        and _RELATIVE_IMPORT.search(tree.read(path) or "")
        for path in files
    )


def _combined(config: dict[str, Any], log: str, tree: Tree) -> Candidate:
    """The recipe with every collection cure the log names, each applied to the one before's
    recipe: tried one at a time, each costs an attempt whose log shows the others' errors again
    (an unknown mark beside a test module that needs a GPU library)."""
    labels = []
    for cure in _COLLECTION_CURES:
        found = cure(config, log, tree)
        if found is not None:
            config = found.install_config
            labels.append(found.label)
    return Candidate("; ".join(labels), config)


def unreachable_host(log: str) -> str | None:
    """The host a failed install could not reach, if that is what stopped it."""
    found = list(_UNREACHABLE.finditer(log))
    if not found:
        return None
    last = found[-1]
    return last.group("npm") or last.group("curl") or last.group("pip")


def _url_cure(config: dict[str, Any], host: str, tree: Tree) -> Candidate | None:
    """The recipe with every requirement it fetches from `host` (out of reach) by URL (a VCS
    checkout, an archive) installed from the index by its name instead."""
    names: list[str] = []

    def change(requirement: str) -> str | None:
        found = _url_requirement(requirement, host)
        if found is None:
            return requirement
        names.append(found[1])
        return requirement.strip().replace(found[0], found[1], 1)  # markers stay

    # a file an earlier cure filtered is read as the repository has it: its edits are made already
    made = " ".join(config.get("install") or [])

    def script(text: str) -> str | None:
        edits = []
        for line in text.splitlines():
            requirement = re.split(r"\s+#", line.strip(), maxsplit=1)[0]
            editable = _EDITABLE.match(requirement)  # `-e URL`: the index's release is not editable
            found = _url_requirement(requirement[editable.end() :] if editable else requirement, host)
            if found is None:
                continue
            spelled, name = found
            spelled = requirement[: editable.end()] + spelled if editable else spelled
            edit = f"s#^([[:space:]]*){_ere_literal(spelled)}#\\1{name}#"
            if edit not in made:
                edits.append(edit)
                names.append(name)
        return ";".join(edits) or None

    changed = _rewrite_recipe(config, _Rewrite(change, script), tree.read)
    if changed is None:
        return None
    label = f"{' '.join(dict.fromkeys(names))} from the index ({host} unreachable)"
    return Candidate(label, changed, avoids_host=host)


def _fetches(line: str, wanted: str) -> bool:
    """Whether a requirements file line fetches distribution `wanted` (canonical) by URL."""
    found = _url_requirement(line, None)
    return found is not None and canonicalize_name(found[1]) == wanted


def _url_requirement(requirement: str, host: str | None) -> tuple[str, str] | None:
    """A requirement fetched by URL (from `host`, when given): its `NAME @ URL` or URL part, and
    the distribution as the index names it (`NAME @`, `#egg=NAME`, a wheel's or an sdist's file
    name, else the VCS repository's). None: not such a requirement, or no name to be had."""
    match = _URL.match(requirement.strip())
    if match is None or (host is not None and match.group("host").lower() != host.lower()):
        return None
    url = match.group("url")
    egg = re.search(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)", url)
    # the path after the host, without a VCS ref (`@v1`, `@release/2.0`) or a fragment
    path = url.split("#", 1)[0].split("://", 1)[1].split("/", 1)[-1]
    last = (path.split("@", 1)[0] if match.group("vcs") else path).rstrip("/").rsplit("/", 1)[-1]
    name: str | None = match.group("name") or (egg.group(1) if egg else None)
    try:
        if name is None and last.endswith(".whl"):
            name = str(parse_wheel_filename(last)[0])
        elif name is None and last.endswith((".tar.gz", ".zip", ".tar.bz2")):
            name = str(parse_sdist_filename(last)[0])
    except ValueError:  # not a distribution's file name (InvalidVersion too, in older packaging)
        return None
    if name is None and match.group("vcs"):
        repository = last.removesuffix(".git")
        name = repository if _NAME.fullmatch(repository) else None
    return (match.group(0), f"{name}{match.group('extras') or ''}") if name else None


def _ere_literal(text: str) -> str:
    """`text` as a POSIX extended regular expression matching it literally (`#`: sed's delimiter)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}#])", r"\\\1", text)


def _metadata_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    refused = list(_INVALID_METADATA.finditer(log))
    by_uv = _installs_by_uv(config)
    if not refused or by_uv is None:
        return None
    name, version = refused[-1].group("name"), refused[-1].group("version")
    return Candidate(f"uv for pip's installs (pip refused {name} {version}: invalid metadata)",
                     {**config, "install": by_uv, "env": _uv_env(config)})  # fmt: skip


def _installs_by_uv(config: dict[str, Any]) -> list[str] | None:
    """The recipe's install commands with their pip installs done by uv; None when it has none."""
    install = list(config.get("install") or [])
    by_uv = [_PIP_STEP.sub(_uv_step, step) for step in install]
    return None if by_uv == install else by_uv


def _uv_env(config: dict[str, Any]) -> dict[str, str]:
    """The recipe's env, with the env's constraints on uv's isolated builds too: pip applies
    PIP_CONSTRAINT to build dependencies, uv's UV_CONSTRAINT does not (setuptools<81 would be lost)."""
    return {**(config.get("env") or {}), "UV_BUILD_CONSTRAINT": CONSTRAINTS_FILE}


def _uv_step(match: re.Match[str]) -> str:
    # pip's and uv's settings have the same names after the prefix (FIND_LINKS, CONSTRAINT)
    unset = (match.group("env") or "").replace("-u PIP_", "-u UV_")
    return f"{match.group('lead')}{unset}uv pip install"


def _pip_cure(config: dict[str, Any], log: str, tree: Tree) -> Candidate | None:
    pip = list(_NO_VERSION.finditer(log))
    if not pip:
        return None
    # the last one is the one that stopped the install
    requirement, versions = pip[-1].group("req"), pip[-1].group("found").strip()
    name = _name(requirement)
    refused = {canonicalize_name(m.group("name")) for m in _INVALID_METADATA.finditer(log)}
    if name and canonicalize_name(name) in refused:
        return None  # the version is there, its metadata refused: the metadata cure's
    unpin = versions != "none"
    changed = _change_requirement(config, name, unpin, tree.read) if name else None
    if changed is None:
        return None
    if unpin:
        return Candidate(f"{name} unpinned (pip: no {requirement} among {versions[:60]})", changed)
    return Candidate(f"without {name} (pip: none on the index)", changed)


def _override_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    unmet = list(_NO_VERSION_FOR.finditer(log))
    if not unmet:
        return None
    match = unmet[-1]  # the one that stopped the install
    try:
        requirement = Requirement(match.group("req"))
    except InvalidRequirement:
        return None
    found = {v.strip() for v in match.group("found").split(",")} - {"none", ""}
    if not found:
        return None  # no version at all: nothing to override it with
    release = _release(requirement)
    override = f"{requirement.name}=={release}" if release in found else requirement.name
    changed = _with_overrides(config, [override])
    if changed is None:
        return None
    pinned, parent = match.group("req"), match.group("parent")
    return Candidate(f"uv overriding {pinned} with {override} (pip: no such version; from {parent})", changed)


def _url_override_cure(config: dict[str, Any], host: str, log: str) -> Candidate | None:
    """A requirement by URL on `host` (out of reach) that no recipe line names, held by a
    package's own metadata (dvc 2.0's gdrive extra: `gdrivefs @ git+https://github.com/...`):
    uv installs it from the index by name, overriding the URL."""
    held = re.compile(
        rf"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])? ?@ ?(?:(?:git|hg|svn|bzr)\+)?[a-z]+://"
        rf"(?:[^/@\s]*@)?{re.escape(host)}[/:]",
        re.IGNORECASE,
    )
    names = list(dict.fromkeys(match.group("name") for match in held.finditer(log)))
    changed = _with_overrides(config, names) if names else None
    if changed is None:
        return None
    return Candidate(f"uv overriding {' '.join(names)} by the index's ({host} unreachable)", changed,
                     avoids_host=host)  # fmt: skip


def _with_overrides(config: dict[str, Any], overrides: list[str]) -> dict[str, Any] | None:
    """The recipe installing by uv with `overrides` added to the env's overrides file (the
    instance tier's install reads it too); None when no install is pip's or uv's, or when the
    file has every one of them already."""
    install = list(config.get("install") or [])
    by_uv = _installs_by_uv(config) or (
        install if any("uv pip install" in step for step in install) else None
    )
    written = list(config.get("pre_install") or [])
    lines = [f"echo {shlex.quote(line)} >> {OVERRIDES_FILE}" for line in overrides]
    new = [line for line in lines if line not in written]
    if by_uv is None or not new:
        return None
    env = {**_uv_env(config), "UV_OVERRIDE": OVERRIDES_FILE}
    return {**config, "pre_install": [*(config.get("pre_install") or []), *new], "install": by_uv, "env": env}


def _release(requirement: Requirement) -> str | None:
    """The final release a `==` pin's dev, pre or post release belongs to (1.3.16.dev122 -> 1.3.16)."""
    pins = [spec.version for spec in requirement.specifier if spec.operator == "=="]
    try:
        return Version(pins[0]).base_version if pins else None
    except InvalidVersion:
        return None


def _legacy_specifier_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    refused = list(_LEGACY_SPECIFIER.finditer(log))
    constraints = list(config.get("pip_constraints") or [])
    if not refused or constrains_setuptools(constraints) or _python_of(config) >= (3, 12):
        return None  # no such failure, the recipe chose its setuptools, or 65 cannot run there
    spec = refused[-1].group("spec")
    env = {**_uv_env(config), "PIP_BUILD_CONSTRAINT": CONSTRAINTS_FILE}

    def isolated_only(steps: list[str]) -> list[str]:
        return [_NO_BUILD_ISOLATION.sub(r"env -u PIP_BUILD_CONSTRAINT \g<pip>", step) for step in steps]

    changed = {**config, "pip_constraints": [*constraints, LEGACY_SPECIFIER_SETUPTOOLS], "env": env,
               "pre_install": isolated_only(config.get("pre_install") or []),
               "install": isolated_only(config.get("install") or [])}  # fmt: skip
    return Candidate(
        f"{LEGACY_SPECIFIER_SETUPTOOLS} (a build refused the legacy specifier {spec!r})", changed
    )


def _python_of(config: dict[str, Any]) -> tuple[int, ...]:
    python = str(config.get("python"))
    return as_tuple(python) if re.fullmatch(r"\d+(\.\d+)*", python) else ()


def _unbuilt_pin_cure(config: dict[str, Any], log: str, tree: Tree) -> Candidate | None:
    """A release the recipe pins that does not build here (lxml 4.2.3's C on Python 3.9, moto 1.x's
    requirements-dev.txt): unpinned, the cut-off takes the era's newest, which may have a wheel."""
    for name in _unbuilt_names(log):
        version = _pinned_version(config, name, tree)
        changed = _change_requirement(config, name, True, tree.read) if version else None
        if changed is not None:
            return Candidate(f"{name} unpinned ({name}=={version} did not build)", changed)
    return None


def _unbuilt_names(log: str) -> list[str]:
    """The packages whose build or metadata step failed, the last failure first."""
    found = [(m.start(), next(g for g in m.groups() if g)) for m in _BUILD_FAILED.finditer(log)]
    found += [(m.start(), m.group("name")) for m in _METADATA_FAILED.finditer(log)]
    return [name for _, name in sorted(found, reverse=True)]


def _pinned_version(config: dict[str, Any], name: str, tree: Tree) -> str | None:
    """The release the recipe pins `name` to (`==`), in its packages, commands or requirements files."""
    pin = re.compile(
        rf"^\s*['\"]?{_spelled(canonicalize_name(name))}(?:\[[^\]]*\])?\s*==\s*([^\s;#,'\"]+)", re.I
    )
    words = [*(config.get("pip_packages") or []), *" ".join(config.get("install") or []).split()]
    lines = [
        line
        for path in sorted(_installed_files(config, tree))
        for line in (tree.read(path) or "").splitlines()
    ]
    found = (pin.match(text) for text in [*words, *lines])
    return next((match.group(1) for match in found if match), None)


def _command_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    return _with_apt(config, _MISSING_COMMAND, log, COMMAND_PACKAGES)


def _library_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    return _with_apt(config, _MISSING_LIBRARY, log, LIBRARY_PACKAGES)


def _with_apt(
    config: dict[str, Any], missing: re.Pattern[str], log: str, packages: dict[str, tuple[str, ...]]
) -> Candidate | None:
    """The recipe with the apt packages that give what `missing` (one named group per way of
    saying it) finds missing in the log, where `packages` knows them."""
    found = [next(name for name in m.groups() if name) for m in missing.finditer(log)]
    have = list(config.get("apt_packages") or [])
    new: list[str] = []
    named: list[str] = []  # the missing things the new packages are for (not those already had)
    for name in dict.fromkeys(found):
        added = [p for p in packages.get(name, ()) if p not in new and p not in have]
        new += added
        named += [name] if added else []
    if not new:
        return None
    label = f"with apt {' '.join(new)} ({', '.join(named)} not found)"
    return Candidate(label, {**config, "apt_packages": [*have, *new]})


def _module_cure(config: dict[str, Any], log: str, tree: Tree) -> Candidate | None:
    # what setuptools stopped vendoring is no package to add (the setuptools cure's)
    modules = [m for m in _NO_MODULE.finditer(log) if not _VENDORED.search(m.group(0))]
    return _missing_module(config, modules[-1].group("module"), tree) if modules else None


def _setuptools_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    install = list(config.get("install") or [])
    if ERA_SETUPTOOLS in install:
        return None
    if _SETUPTOOLS_WARNING.search(log):
        why = "a setuptools warning failed the tests"
    elif _VENDORED.search(log):
        why = "pkg_resources._vendor, gone from setuptools 71, is imported"
    else:
        return None
    return Candidate(f"setuptools of the cut-off ({why})", {**config, "install": [*install, ERA_SETUPTOOLS]})


def _mark_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    marks = list(dict.fromkeys(m.group("mark") or m.group("strict") for m in _UNKNOWN_MARK.finditer(log)))
    if not marks or config.get("log_parser") != "pytest":
        return None
    wanted = []
    for mark in marks:
        # flaky's own marker takes max_runs / min_passes; pytest-rerunfailures' takes reruns
        flaky_package = mark == "flaky" and _FLAKY_PACKAGE.search(log)
        wanted.append("flaky" if flaky_package else MARK_PLUGINS.get(mark))
    return _with_plugins(config, wanted, f"pytest: unknown mark {', '.join(marks)[:60]}")


def _option_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    match = _UNKNOWN_OPTION.search(log)
    if match is None or config.get("log_parser") != "pytest":
        return None
    wanted = []
    for option in match.group("options").split():
        name = option.split("=")[0]
        adds = (p for prefix, p in OPTION_PLUGINS.items() if name == prefix or name.startswith(f"{prefix}-"))
        wanted.append(next(adds, None))
    return _with_plugins(config, wanted, f"pytest: unrecognized {match.group('options').strip()[:60]}")


def _with_plugins(config: dict[str, Any], wanted: list[str | None], why: str) -> Candidate | None:
    """The recipe with the plugins of `wanted` it does not install yet (None: no plugin known)."""
    packages = list(config.get("pip_packages") or [])
    plugins: list[str] = []
    for plugin in wanted:
        installed = plugin is None or any(_is_named(p, canonicalize_name(plugin)) for p in packages)
        if plugin and not installed and plugin not in plugins:
            plugins.append(plugin)
    if not plugins:
        return None
    return Candidate(f"with {' '.join(plugins)} ({why})", {**config, "pip_packages": [*packages, *plugins]})


def _editable_finder_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    if not _EDITABLE_FINDER.search(log):
        return None
    return _with_pytest_option(config, _REWRITE_IGNORED, "an editable finder pytest cannot rewrite")


def _crashed_plugin_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    """pytest itself ended in a traceback whose innermost plugin frame is an installed pytest
    plugin's (pytest-snail 0.1.0's unconfigure hook asserts unless its option is given): the run
    without that plugin. `-p no:NAME` blocks both `NAME` and `pytest_NAME`, the two names plugins
    register their entry points under. A traceback of the project's tests is not pytest's own."""
    main = max((match.start() for match in _PYTEST_MAIN.finditer(log)), default=-1)
    start = max(main, log.find("INTERNALERROR>"))
    plugins = _PLUGIN_FRAME.findall(log[start:]) if start >= 0 else []
    if not plugins:
        return None
    name = plugins[-1]
    return _with_pytest_option(config, f"-p no:{name}", f"pytest plugin {name} crashed pytest")


def _import_mode_cure(config: dict[str, Any], log: str, _tree: Tree) -> Candidate | None:
    if "import file mismatch" not in log:
        return None
    return _with_pytest_option(config, "--import-mode=importlib", "import file mismatch", "--import-mode")


def _ignore_cure(config: dict[str, Any], log: str, tree: Tree) -> Candidate | None:
    """Test modules that cannot be collected here, left out of the collection (`collect_ignore`)
    when the rest collects tests and they are a small share of the tree's: those that need a
    module no file of the project names (a GPU library, an engine built by conda only), or a name
    the project's own package defines only when such a module imports (`cannot import name
    'PyarrowQueryCompiler' from 'modin.core.storage_formats'`), and those whose basename pytest
    imported already from another folder (`import file mismatch`, the other cure's alternative:
    `--import-mode=importlib` fails test modules that import their package relatively)."""
    if count_tests(log) == 0:
        return None
    ignored: dict[str, str] = {}
    for path, body in _collection_errors(log):
        why = _uncollectable(body, tree)
        if why:
            ignored[path] = why
    have = list(config.get("collect_ignore") or [])
    new = [path for path in ignored if path not in have]
    test_modules = [path for path in tree.files if path.endswith(".py") and is_test_path(path)]
    if not new or len(have) + len(new) > IGNORABLE_SHARE * len(test_modules):
        return None
    reasons = "; ".join(sorted({ignored[path] for path in new}))
    return Candidate(
        f"without {len(new)} test module{'s' if len(new) > 1 else ''} {reasons}",
        {**config, "collect_ignore": [*have, *new]},
    )


def _uncollectable(body: str, tree: Tree) -> str | None:
    """Why a collection error's module cannot be collected in any env of this recipe, or None."""
    if "import file mismatch" in body:
        return "whose basename was collected from another folder (import file mismatch)"
    missing = _NO_MODULE.search(body)
    module = missing.group("module") if missing else None
    if module and not _not_a_dependency(module, tree) and not _named_by_project(module, tree):
        return f"importing {module} (in no requirement of the project)"
    unexported = _UNEXPORTED.search(body)
    if unexported and _is_own(unexported.group("module"), tree):
        return f"importing {unexported.group('name')} (undefined in {unexported.group('module')} here)"
    return None


def _collection_errors(log: str) -> list[tuple[str, str]]:
    """(path, traceback) of each module pytest could not collect: its section of the ERRORS part,
    up to the next section or the summary."""
    headers = list(_COLLECT_SECTION.finditer(log))
    errors = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(log)
        summary = _SUMMARY_LINE.search(log, header.end(), end)
        errors.append((header.group("path"), log[header.end() : summary.start() if summary else end]))
    return errors


def _with_pytest_option(
    config: dict[str, Any], option: str, why: str, present: str | None = None
) -> Candidate | None:
    """The recipe whose pytest command also passes `option`; None when it is not pytest, or the
    command already has `present` (by default the option itself)."""
    command = str(config.get("test_cmd", ""))
    if config.get("log_parser") != "pytest" or (present or option) in command:
        return None
    command += f" {option}"
    return Candidate(f"test command {command!r} ({why})", {**config, "test_cmd": command})


def _not_a_dependency(module: str, tree: Tree) -> bool:
    """Whether `module` is the standard library's or the project's own: no package to add."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names and top not in MODULE_DISTRIBUTIONS:
        return True
    return _is_own(module, tree)


def _is_own(module: str, tree: Tree) -> bool:
    """Whether `module` is of a package (or module) of the tree, at its top or under `src/`."""
    top = module.split(".")[0]
    own = {top, f"{top}.py"}
    return any(path.split("/")[0] in own or path.split("/")[:2] == ["src", top] for path in tree.files)


def _distribution(module: str) -> str:
    top = module.split(".")[0]
    return MODULE_DISTRIBUTIONS.get(module) or MODULE_DISTRIBUTIONS.get(top) or top


def _named_by_project(module: str, tree: Tree) -> bool:
    """Whether a requirements file or packaging file of the project names `module`'s distribution."""
    wanted = canonicalize_name(_distribution(module))
    for path in requirement_files(tree.files):
        if any(_is_named(line, wanted) for line in (tree.read(path) or "").splitlines()):
            return True
    return _packaging_names(wanted, tree)


def _packaging_names(wanted: str, tree: Tree) -> bool:
    """Whether the packaging files name the distribution `wanted` (canonical): as a word, not as
    a part of a path (a coverage `omit = pkg/xgboost/test/*` names no dependency)."""
    packaging = " ".join(tree.read(name) or "" for name in _PACKAGING_FILES)
    word = rf"(?<![\w./-]){_spelled(wanted)}(?![\w.-]*\w|/)"
    return bool(re.search(word, packaging, re.IGNORECASE))


def _missing_module(config: dict[str, Any], module: str, tree: Tree) -> Candidate | None:
    if _not_a_dependency(module, tree):
        return None  # a newer Python's, or the project's own module: its install is what is wrong
    distribution = _distribution(module)
    wanted = canonicalize_name(distribution)
    why = f"No module named '{module}'"
    installed = _installed_files(config, tree)
    for path in requirement_files(tree.files):
        text = tree.read(path) or ""
        if any(_is_named(line, wanted) for line in text.splitlines()):
            if path in installed:
                return None  # installed already: the module comes from elsewhere
            command = f"python -m pip install -r {shlex.quote(path)}"
            return Candidate(f"with requirements file {path} ({why})",
                             {**config, "install": [command, *config.get("install", [])]})  # fmt: skip
    if _packaging_names(wanted, tree):
        return None  # an extra or the project's own requirements name it: the fixed list's extras
    packages = list(config.get("pip_packages") or [])
    if any(_is_named(p, wanted) for p in packages):
        return None
    return Candidate(
        f"with pip package {distribution} ({why})", {**config, "pip_packages": [*packages, distribution]}
    )


def _installed_files(config: dict[str, Any], tree: Tree) -> set[str]:
    """The requirements files the install commands pass with `-r`, and those they include."""
    text = " ".join(config.get("install") or [])
    todo = [p.removesuffix(FILTERED_SUFFIX) for p in re.findall(r"(?:-r|--requirement)\s+(\S+)", text)]
    seen: set[str] = set()
    while todo:
        path = posixpath.normpath(todo.pop().strip("'\""))
        if path in seen:
            continue
        seen.add(path)
        folder = posixpath.dirname(path)
        for line in (tree.read(path) or "").splitlines():
            include = re.match(r"\s*(?:-r|--requirement)\s*(\S+)", line)
            if include:
                todo.append(posixpath.join(folder, include.group(1)))
    return seen


def _spelled(wanted: str) -> str:
    """A regular expression for every spelling of a canonical (PEP 503) name."""
    return "[-_.]+".join(re.escape(part) for part in wanted.split("-"))


def _name(requirement: str) -> str:
    match = _NAME.match(requirement)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class _Rewrite:
    """One change to the requirements a recipe names. `change` maps a requirement (a
    `pip_packages` entry, a pip argument) to itself, its replacement, or None (left out);
    `script(text)` is the sed script making the change in a requirements file of that text, None
    when no line of it is changed."""

    change: Callable[[str], str | None]
    script: Callable[[str], str | None]


def _change_requirement(
    config: dict[str, Any], name: str, unpin: bool, read_file: ReadFile
) -> dict[str, Any] | None:
    """`config` with requirement `name` dropped (or unpinned) where the recipe names it; None when
    it names it nowhere."""
    wanted = canonicalize_name(name)

    def change(requirement: str) -> str | None:
        if not _is_named(requirement, wanted):
            return requirement
        match = _NAME.match(requirement)
        assert match is not None
        return f"{match.group(1)}{match.group(2) or ''}" if unpin else None

    def script(text: str) -> str | None:
        # a line fetched by URL counts by its name: an earlier cure put the name in the copy
        if not any(_is_named(line, wanted) or _fetches(line, wanted) for line in text.splitlines()):
            return None
        head = rf"^[[:space:]]*({_spelled(wanted)})(\[[^]]*\])?"
        return rf"s/{head}[^;#]*/\1\2 /I" if unpin else rf"/{head}([^A-Za-z0-9._-]|$)/Id"

    return _rewrite_recipe(config, _Rewrite(change, script), read_file)


def _rewrite_recipe(config: dict[str, Any], rewrite: _Rewrite, read_file: ReadFile) -> dict[str, Any] | None:
    """`config` with `rewrite` made in its `pip_packages` and install commands; None when it
    changes nothing."""
    packages = list(config.get("pip_packages") or [])
    changed_packages = [c for c in (rewrite.change(p) for p in packages) if c is not None]
    install = [_change_command(c, rewrite, read_file) for c in config.get("install") or []]
    kept_install = [c for c in install if c]
    if changed_packages == packages and kept_install == list(config.get("install") or []):
        return None
    return {**config, "pip_packages": changed_packages, "install": kept_install}


def _change_command(command: str, rewrite: _Rewrite, read_file: ReadFile) -> str:
    """An install command with the rewrite made in its pip installs' arguments and `-r` files
    (each ` && ` step on its own, so an earlier remedy's filter steps stay); steps with other
    shell syntax as they are. Empty when no pip target is left."""
    steps = [_change_step(step, rewrite, read_file) for step in command.split(" && ")]
    return " && ".join(s for s in steps if s) if all(steps[-1:]) else ""


def _change_step(step: str, rewrite: _Rewrite, read_file: ReadFile) -> str:
    if not _PIP_INSTALL.match(step) or _SHELL_OPERATORS.search(step):
        return step
    words = shlex.split(step)
    start = words.index("install") + 1
    out, filters, targets = words[:start], [], 0
    index = start
    while index < len(words):
        word = words[index]
        if word in ("-r", "--requirement") and index + 1 < len(words):
            path = words[index + 1]
            # a copy an earlier remedy filtered is filtered again in place
            original = path.removesuffix(FILTERED_SUFFIX)
            text = read_file(original)
            script = rewrite.script(text) if text is not None else None
            if script is not None:
                filters.append(_filter(original, script, again=original != path))
                path = original + FILTERED_SUFFIX
            out += [word, path]
            targets += 1
            index += 2
            continue
        if word in ("-e", "--editable") and index + 1 < len(words):
            changed = rewrite.change(words[index + 1])
            if changed != words[index + 1]:  # an editable checkout taken from the index as a release
                out += [changed] if changed is not None else []
            else:
                out += [word, words[index + 1]]
            targets += changed is not None
            index += 2
            continue
        if word.startswith("-"):
            out.append(word)
            # options that take a value (constraints, indexes) keep it
            if word in _VALUED_OPTIONS and index + 1 < len(words):
                out.append(words[index + 1])
                index += 1
        else:
            kept = rewrite.change(word)
            if kept is not None:
                out.append(kept)
                targets += 1
        index += 1
    if not targets:
        return ""
    return " && ".join([*filters, shlex.join(out)])


def _is_named(requirement: str, wanted: str) -> bool:
    """Whether a requirement (a `pip_packages` entry, an argument, a requirements file line)
    names the canonical name `wanted`."""
    match = _NAME.match(requirement)
    return match is not None and canonicalize_name(match.group(1)) == wanted


def _filter(path: str, script: str, again: bool) -> str:
    """A sed command writing `path` changed by `script` beside it: the copy's own `-r` lines still
    resolve, and the repository's file stays as it is. `again`: the copy exists (an earlier
    remedy's) and is changed in place."""
    copy = shlex.quote(path + FILTERED_SUFFIX)
    if again:
        return f"sed -i -E {shlex.quote(script)} {copy}"
    return f"sed -E {shlex.quote(script)} {shlex.quote(path)} > {copy}"


# the cures that change only how the tests are collected (the command, its plugins, what is left
# out), each for its own error: one log can name several, and `_combined` applies them all
_COLLECTION_CURES = (_editable_finder_cure, _mark_cure, _option_cure, _ignore_cure)
