"""Candidates a failed attempt's log points at, and the loop trying them next; through the real
engine in test_remedies_build.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from swegym_build.verify.candidates import Candidate
from swegym_build.verify.collection import CollectionCheck
from swegym_build.verify.loop import AttemptFailed, VerifyLimits, verify_env
from swegym_build.verify.remedies import remedies, unreachable_host

RECIPE: dict[str, Any] = {
    "python": "3.11", "apt_packages": ["libxml2-dev"], "pre_install": [],
    "install": [
        "python -m pip install -r requirements-dev.txt -c constraints.txt", "python -m pip install -e .",
    ],
    "pip_packages": ["pytest", "Types_Pkg.Resources==0.1.3"], "test_cmd": "python -m pytest -rA",
    "log_parser": "pytest", "env": {},
}  # fmt: skip
FILES = {
    "requirements-dev.txt": "-r requirements-min.txt\npytest>=7\ntypes-pkg_resources  # stubs\nmypy==0.9\n",
    "requirements-min.txt": "numpy\n",
    "requirements/test.txt": "python-dateutil\n",
    "setup.py": "from setuptools import setup\nsetup(extras_require={'yaml': ['PyYAML>=5']})\n",
    "widget/__init__.py": "",
}


class Tree(dict[str, str]):
    @property
    def files(self) -> list[str]:
        return list(self)

    def read(self, path: str) -> str | None:
        return self.get(path)


GONE = (
    "ERROR: Could not find a version that satisfies the requirement types-pkg_resources"
    " (from versions: none)\n"
    "ERROR: No matching distribution found for types-pkg_resources\n"
)
OLD_PIN = (
    "ERROR: Could not find a version that satisfies the requirement mypy==0.9 (from versions: 1.0.0, 1.1.1)\n"
)


def _write(folder: Path) -> None:
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def _remedies(log: str, config: dict[str, Any] = RECIPE) -> list[Candidate]:
    return remedies(Candidate("as drafted", config), log, Tree(FILES))


def test_a_requirement_no_index_has_is_left_out_wherever_the_recipe_names_it(tmp_path: Path) -> None:
    (found,) = _remedies(GONE)
    assert found.label == "without types-pkg_resources (pip: none on the index)"
    config = found.install_config
    assert config["pip_packages"] == ["pytest"]  # the same name, spelled another way
    first, project = config["install"]
    assert project == "python -m pip install -e ."
    # the repository's file is not edited: a filtered copy beside it, so its `-r` still resolves
    assert first.endswith("python -m pip install -r requirements-dev.txt.swegym -c constraints.txt")
    filter_step = first.split(" && ")[0]
    _write(tmp_path)
    subprocess.run(["bash", "-c", filter_step], cwd=tmp_path, check=True)
    assert (tmp_path / "requirements-dev.txt.swegym").read_text() == (
        "-r requirements-min.txt\npytest>=7\nmypy==0.9\n"
    )
    assert (tmp_path / "requirements-dev.txt").read_text() == FILES["requirements-dev.txt"]


def test_a_pin_the_index_cannot_meet_is_unpinned_and_remedies_add_up(tmp_path: Path) -> None:
    (without,) = _remedies(GONE)
    (unpinned,) = _remedies(OLD_PIN, without.install_config)
    assert unpinned.label.startswith("mypy unpinned (pip: no mypy==0.9 among 1.0.0, 1.1.1")
    first = unpinned.install_config["install"][0]
    _write(tmp_path)
    steps = first.split(" && ")
    assert len(steps) == 3  # the first remedy's filter, this one's, the install
    subprocess.run(["bash", "-c", " && ".join(steps[:2])], cwd=tmp_path, check=True)
    lines = (tmp_path / "requirements-dev.txt.swegym").read_text().split("\n")
    assert [line.strip() for line in lines] == ["-r requirements-min.txt", "pytest>=7", "mypy", ""]


def test_a_requirement_the_recipe_does_not_name_has_no_remedy() -> None:
    log = GONE.replace("types-pkg_resources", "leftpad")  # a dependency of a dependency
    assert _remedies(log) == []
    assert _remedies("ERROR: pip's resolver found a conflict\n") == []


def test_a_rust_extension_built_from_source_gets_the_rust_toolchain() -> None:
    # MONAI 1.2 drafted: tokenizers from its sdist, through setuptools-rust
    (found,) = _remedies("      running build_rust\n      error: can't find Rust compiler\n")
    assert found.label == "with apt cargo (Rust not found)"
    assert found.install_config["apt_packages"] == ["libxml2-dev", "cargo"]


def test_a_missing_build_config_tool_gets_the_library_headers_that_provide_it() -> None:
    # psycopg2 built from source (modin 0.15 drafted: requirements-dev.txt, no libpq-dev in the draft)
    (found,) = _remedies("      Error: pg_config executable not found.\n")
    assert found.label == "with apt libpq-dev (pg_config not found)"
    assert found.install_config["apt_packages"] == ["libxml2-dev", "libpq-dev"]


def test_an_import_of_what_setuptools_no_longer_vendors_gets_the_era_s_setuptools() -> None:
    log = (
        "/opt/venv/lib/python3.9/site-packages/ray/data/__init__.py:4: in <module>\n"
        "    from pkg_resources._vendor.packaging.version import parse as parse_version\n"
        "E   ModuleNotFoundError: No module named 'pkg_resources._vendor'\n"
    )
    (found,) = _remedies(log)
    assert found.label.startswith("setuptools of the cut-off (pkg_resources._vendor, gone from setuptools 71")
    assert found.install_config["install"][-1].endswith("--force-reinstall --no-deps 'setuptools<81'")
    assert _remedies(log, found.install_config) == []


def test_a_missing_command_gets_the_debian_package_that_provides_it() -> None:
    log = (
        "E   FileNotFoundError: [Errno 2] No such file or directory: 'java'\n"
        "/bin/sh: 1: npm: not found\nNo such file or directory: 'setup.cfg'\n"
    )
    (found,) = _remedies(log)
    assert found.label == "with apt default-jre-headless nodejs npm (java, npm not found)"
    assert found.install_config["apt_packages"] == ["libxml2-dev", "default-jre-headless", "nodejs", "npm"]
    assert _remedies("bash: line 1: java: command not found\n", found.install_config) == []


def test_a_missing_system_library_gets_the_debian_package_that_has_it() -> None:
    # matplotlib 3.2.2's sdist on Python 3.9 (modin 0.9), a header, a pkg-config module
    log = (
        '      src/checkdep_freetype2.c:3:6: error: #error "FreeType version 2.3 or higher is required. '
        'You may set the MPLLOCALFREETYPE environment variable to 1 to let Matplotlib download it."\n'
        "      src/_png.cpp:10:10: fatal error: png.h: No such file or directory\n"
        "    Package cairo was not found in the pkg-config search path.\n"
        "      fatal error: libxml/xmlversion.h: No such file or directory\n"  # the recipe has libxml2-dev
    )
    (found,) = _remedies(log)
    assert found.label == "with apt libfreetype-dev libpng-dev libcairo2-dev (FreeType, cairo not found)"
    assert found.install_config["apt_packages"] == [
        "libxml2-dev",
        "libfreetype-dev",
        "libpng-dev",
        "libcairo2-dev",
    ]
    assert _remedies("fatal error: ft2build.h: No such file or directory\n", found.install_config) == []
    assert _remedies("fatal error: swegym_unknown.h: No such file or directory\n") == []


def test_the_loop_tries_what_a_failure_names_before_the_rest_of_the_list(tmp_path: Path) -> None:
    fixed = [Candidate("as drafted", RECIPE), Candidate("Python 3.9", {**RECIPE, "python": "3.9"})]

    def build(candidate: Candidate, log: Path, _left: float) -> str:
        if candidate.install_config["pip_packages"] != ["pytest"]:  # the stub package is still in
            log.write_text(GONE)
            raise AttemptFailed("env_build_failed", "pip failed")
        return candidate.label

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        java = "default-jre-headless" in candidate.install_config["apt_packages"]
        log = "" if java else "E   FileNotFoundError: [Errno 2] No such file or directory: 'java'\n"
        return CollectionCheck("collected" if java else "collection_errors", 3, 0 if java else 1, 0, log)

    record = verify_env("acme/widget", "1.0", "drafted", fixed, build, collect, tmp_path, VerifyLimits(5, 60),
                        remedy=lambda c, log: remedies(c, log, Tree(FILES))).verification  # fmt: skip
    assert [(a.label, a.outcome) for a in record.attempts] == [
        ("as drafted", "env_build_failed"),  # Python 3.9 is next in the list: the cure comes first
        ("without types-pkg_resources (pip: none on the index)", "collection_errors"),
        ("with apt default-jre-headless (java not found)", "verified"),
    ]
    assert record.recipe is not None and "default-jre-headless" in record.recipe["apt_packages"]


def test_the_next_candidate_of_the_list_keeps_the_cures_found_before_it(tmp_path: Path) -> None:
    fixed = [Candidate("as drafted", RECIPE), Candidate("Python 3.9", {**RECIPE, "python": "3.9"})]

    def build(candidate: Candidate, log: Path, _left: float) -> str:
        config = candidate.install_config
        if config["pip_packages"] != ["pytest"]:  # the withdrawn stub package is still in
            log.write_text(GONE)
            raise AttemptFailed("env_build_failed", "pip failed")
        if config["python"] != "3.9":
            log.write_text("error: this project's C extension does not build on 3.11\n")  # no cure
            raise AttemptFailed("env_build_failed", "build failed")
        return candidate.label

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        return CollectionCheck("collected", 3, 0, 0, "")

    record = verify_env("acme/widget", "1.0", "drafted", fixed, build, collect, tmp_path, VerifyLimits(3, 60),
                        remedy=lambda c, log: remedies(c, log, Tree(FILES))).verification  # fmt: skip
    cure = "without types-pkg_resources (pip: none on the index)"
    assert [(a.label, a.outcome) for a in record.attempts] == [
        ("as drafted", "env_build_failed"),
        (cure, "env_build_failed"),
        (f"Python 3.9; {cure}", "verified"),  # not the stub's failure all over again
    ]


def test_test_modules_sharing_a_basename_are_imported_by_path() -> None:
    log = "ERROR collecting test/unittests/test_api.py\nimport file mismatch:\nimported module 'test_api'\n"
    (found,) = _remedies(log)
    assert found.install_config["test_cmd"] == "python -m pytest -rA --import-mode=importlib"
    assert _remedies(log, found.install_config) == []


def test_a_missing_module_the_project_does_not_provide_is_installed_by_its_distribution() -> None:
    (found,) = _remedies("E   ModuleNotFoundError: No module named 'freezegun'\n")
    assert found.label == "with pip package freezegun (No module named 'freezegun')"
    assert found.install_config["pip_packages"][-1] == "freezegun"
    (other,) = _remedies("ModuleNotFoundError: No module named 'bs4.element'\n")
    assert other.install_config["pip_packages"][-1] == "beautifulsoup4"


def test_a_missing_module_a_requirements_file_lists_installs_that_file() -> None:
    (found,) = _remedies("ModuleNotFoundError: No module named 'dateutil'\n")
    assert found.label == "with requirements file requirements/test.txt (No module named 'dateutil')"
    assert found.install_config["install"][0] == "python -m pip install -r requirements/test.txt"


@pytest.mark.parametrize(
    ("module", "why"),
    [
        ("yaml", "an extra of setup.py names PyYAML: the fixed list's extra candidates cover it"),
        ("widget.core", "the project's own package: its install is what failed"),
        ("tomllib", "the standard library of a newer Python: another Python is the cure"),
        ("numpy", "requirements-min.txt, installed already through requirements-dev.txt's -r"),
    ],
)
def test_a_missing_module_that_is_not_a_package_to_add_has_no_remedy(module: str, why: str) -> None:
    assert _remedies(f"ModuleNotFoundError: No module named '{module}'\n") == [], why


@pytest.mark.parametrize(
    ("log", "host"),
    [
        ("npm ERR! network request to https://registry.npmjs.org/slash failed, reason: getaddrinfo "
         "ENOTFOUND registry.npmjs.org\n", "registry.npmjs.org"),
        ("fatal: unable to access 'https://github.com/': Could not resolve host: github.com\n", "github.com"),
        ("fatal: unable to access 'http://127.0.0.1:9/acme/six.git/': Failed to connect to 127.0.0.1 port 9 "
         "after 0 ms: Couldn't connect to server\n", "127.0.0.1"),
        ("WARNING: Retrying ... NewConnectionError(\"HTTPSConnection(host='pypi.org', port=443): Failed to "
         "establish a new connection: [Errno -3] Temporary failure in name resolution\")\n", "pypi.org"),
        ("error: failed to get `pyo3` as a dependency of package `tokenizers v0.11.6`\nCaused by:\n  failed "
         "to resolve address for github.com: Name or service not known; class=Net (12)\n", "github.com"),
        (GONE, None),
    ],
)  # fmt: skip
def test_a_host_the_install_cannot_reach_is_named(log: str, host: str | None) -> None:
    assert unreachable_host(log) == host


def test_the_loop_stops_when_the_install_cannot_reach_a_host(tmp_path: Path) -> None:
    fixed = [Candidate("as drafted", RECIPE), Candidate("Python 3.9", {**RECIPE, "python": "3.9"})]

    def build(candidate: Candidate, log: Path, _left: float) -> str:
        log.write_text("npm ERR! errno ENOTFOUND\nreason: getaddrinfo ENOTFOUND registry.npmjs.org\n")
        raise AttemptFailed("env_build_failed", "npm ci failed")

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        raise AssertionError("nothing built")

    record = verify_env("acme/widget", "1.0", "drafted", fixed, build, collect, tmp_path, VerifyLimits(5, 60),
                        unreachable=unreachable_host).verification  # fmt: skip
    assert [a.label for a in record.attempts] == ["as drafted"]
    assert (record.status, record.stopped) == ("failed", "network: registry.npmjs.org unreachable")


# pip's log when a requirements file pins a dependency to a GitHub commit and GitHub is out of reach
UNREACHABLE_CHECKOUT = (
    "Collecting git+https://github.com/acme/bench-tool.git@ef016e2 (from -r requirements-dev.txt (line 3))\n"
    "  Running command git clone --filter=blob:none --quiet https://github.com/acme/bench-tool.git /tmp/x\n"
    "  fatal: unable to access 'https://github.com/acme/bench-tool.git/':"
    " Could not resolve host: github.com\n"
    "  error: subprocess-exited-with-error\n"
)
URL_FILES = {
    "requirements-dev.txt": (
        "pytest>=7\n"
        "# the benchmark runner, at the commit we need\n"
        "git+https://github.com/acme/bench-tool.git@ef016e2\n"
        "  sheet @ git+https://github.com/acme/spreadsheet.git@49ffd89 ; python_version >= '3.8'"
        "  # widget fix\n"
        "https://github.com/acme/fast/releases/download/v1/fast_lib-1.2-py3-none-any.whl\n"
        "https://example.org/mirror/other-1.0.tar.gz\n"
    ),
}


def test_requirements_fetched_from_a_host_out_of_reach_come_from_the_index(tmp_path: Path) -> None:
    recipe = {
        **RECIPE,
        "pip_packages": ["pytest", "git+ssh://git@github.com/acme/helper.git@v1#egg=acme-helper"],
    }
    (found,) = remedies(Candidate("as drafted", recipe), UNREACHABLE_CHECKOUT, Tree(URL_FILES))
    assert found.label == "acme-helper bench-tool sheet fast-lib from the index (github.com unreachable)"
    config = found.install_config
    assert config["pip_packages"] == ["pytest", "acme-helper"]
    first = config["install"][0]
    assert first.endswith("python -m pip install -r requirements-dev.txt.swegym -c constraints.txt")
    (tmp_path / "requirements-dev.txt").write_text(URL_FILES["requirements-dev.txt"])
    subprocess.run(["bash", "-c", first.split(" && ")[0]], cwd=tmp_path, check=True)
    assert (tmp_path / "requirements-dev.txt.swegym").read_text() == (
        "pytest>=7\n"
        "# the benchmark runner, at the commit we need\n"
        "bench-tool\n"
        "  sheet ; python_version >= '3.8'  # widget fix\n"
        "fast-lib\n"
        "https://example.org/mirror/other-1.0.tar.gz\n"  # another host: as it was
    )
    assert (tmp_path / "requirements-dev.txt").read_text() == URL_FILES["requirements-dev.txt"]
    # once nothing is fetched from the host, the same failure has no cure: the loop stops
    assert remedies(found, UNREACHABLE_CHECKOUT, Tree(URL_FILES)) == []
    # a name the index does not have either is then left out of the same copy
    (without,) = remedies(found, GONE.replace("types-pkg_resources", "bench-tool"), Tree(URL_FILES))
    assert without.label == "without bench-tool (pip: none on the index)"
    steps = without.install_config["install"][0].split(" && ")
    subprocess.run(["bash", "-c", " && ".join(steps[:-1])], cwd=tmp_path, check=True)
    assert "bench-tool" not in (tmp_path / "requirements-dev.txt.swegym").read_text()
    assert "fast-lib\n" in (tmp_path / "requirements-dev.txt.swegym").read_text()
    npm = (
        "npm ERR! request to https://registry.npmjs.org/x failed: getaddrinfo ENOTFOUND registry.npmjs.org\n"
    )
    assert remedies(Candidate("as drafted", recipe), npm, Tree(URL_FILES)) == []


@pytest.mark.parametrize(
    ("requirement", "cured"),
    [
        ("git+https://github.com/acme/tool.git@release/2.0", "tool"),  # a ref with a slash
        ("git+https://github.com/acme/tool@refs/pull/12/head", "tool"),
        ("tool[cli] @ git+https://github.com/acme/tool.git@abc ; python_version < '3.8'",
         "tool[cli] ; python_version < '3.8'"),  # extras and markers stay
        ("https://github.com/acme/x/archive/abc-def.zip", None),  # no distribution's file name
    ],
)  # fmt: skip
def test_the_index_name_of_a_requirement_fetched_by_url(requirement: str, cured: str | None) -> None:
    recipe = {**RECIPE, "pip_packages": [requirement]}
    found = remedies(Candidate("as drafted", recipe), UNREACHABLE_CHECKOUT, Tree(URL_FILES))
    packages = [c.install_config["pip_packages"][0] for c in found if c.install_config["pip_packages"]]
    assert (packages[0] if packages and packages[0] != requirement else None) == cured


def test_an_editable_checkout_out_of_reach_is_installed_from_the_index(tmp_path: Path) -> None:
    files = {"requirements-dev.txt": "-e git+https://github.com/acme/helper.git@v1#egg=acme-helper\npytest\n"}
    recipe = {**RECIPE, "install": ["python -m pip install -e git+https://github.com/acme/other.git#egg=other",
                                    "python -m pip install -r requirements-dev.txt"]}  # fmt: skip
    (found,) = remedies(Candidate("as drafted", recipe), UNREACHABLE_CHECKOUT, Tree(files))
    first, second = found.install_config["install"]
    assert first == "python -m pip install other"  # a release from the index is not editable
    (tmp_path / "requirements-dev.txt").write_text(files["requirements-dev.txt"])
    subprocess.run(["bash", "-c", second.split(" && ")[0]], cwd=tmp_path, check=True)
    assert (tmp_path / "requirements-dev.txt.swegym").read_text() == "acme-helper\npytest\n"


def test_a_host_named_in_the_tests_output_does_not_block_the_other_cures(tmp_path: Path) -> None:
    # a collection log: a test module that talks to a service, and a missing module
    log = "redis: Failed to connect to localhost port 6379\nModuleNotFoundError: No module named 'bs4'\n"
    assert [c.label for c in _remedies(log)] == ["with pip package beautifulsoup4 (No module named 'bs4')"]
    # a build that stopped on the network takes no cure that still fetches from the host
    fixed = [Candidate("as drafted", RECIPE)]

    def build(candidate: Candidate, log_file: Path, _left: float) -> str:
        log_file.write_text("sh: 1: make: not found\nfatal: Could not resolve host: github.com\n")
        raise AttemptFailed("env_build_failed", "pip failed")

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        raise AssertionError("nothing built")

    record = verify_env("acme/widget", "1.0", "drafted", fixed, build, collect, tmp_path, VerifyLimits(5, 60),
                        remedy=lambda c, text: remedies(c, text, Tree(FILES)),
                        unreachable=unreachable_host).verification  # fmt: skip
    assert [a.label for a in record.attempts] == ["as drafted"]
    assert record.stopped == "network: github.com unreachable"


def test_the_loop_goes_on_past_a_host_out_of_reach_when_a_cure_stops_fetching_from_it(tmp_path: Path) -> None:
    recipe = {**RECIPE, "install": ["python -m pip install -r requirements-dev.txt"], "pip_packages": []}
    fixed = [Candidate("as drafted", recipe), Candidate("Python 3.9", {**recipe, "python": "3.9"})]

    def build(candidate: Candidate, log: Path, _left: float) -> str:
        if "requirements-dev.txt.swegym" not in candidate.install_config["install"][0]:
            log.write_text(UNREACHABLE_CHECKOUT)
            raise AttemptFailed("env_build_failed", "pip failed")
        return candidate.label

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        return CollectionCheck("collected", 3, 0, 0, "")

    record = verify_env("acme/widget", "1.0", "drafted", fixed, build, collect, tmp_path, VerifyLimits(5, 60),
                        remedy=lambda c, log: remedies(c, log, Tree(URL_FILES)),
                        unreachable=unreachable_host).verification  # fmt: skip
    assert [(a.label, a.outcome) for a in record.attempts] == [
        ("as drafted", "env_build_failed"),
        ("bench-tool sheet fast-lib from the index (github.com unreachable)", "verified"),
    ]


@pytest.mark.parametrize(
    "log",
    [
        "tests/test_completion.py:23: in is_expect_exists\n    return find_executable('expect')\n"
        "/opt/venv/lib/python3.9/site-packages/setuptools/_distutils/spawn.py:104: in find_executable\n"
        "    warnings.warn(\nE   DeprecationWarning: Use shutil.which instead of find_executable\n",
        "E   UserWarning: pkg_resources is deprecated as an API. See https://setuptools.pypa.io/\n",
    ],
)
def test_a_setuptools_warning_that_fails_the_suite_gets_the_era_s_setuptools(log: str) -> None:
    (found,) = _remedies(log)
    era = "env -u PIP_FIND_LINKS python -m pip install --force-reinstall --no-deps 'setuptools<81'"
    assert found.install_config["install"][-1] == era
    assert found.install_config["env"] == RECIPE["env"]
    assert _remedies(log, found.install_config) == []
    assert _remedies("E   DeprecationWarning: numpy.float is deprecated\n") == []


def test_an_addopts_option_no_plugin_adds_gets_its_plugin() -> None:
    log = "ERROR: usage: x\nx: error: unrecognized arguments: --cov-config=pyproject.toml -n\n"
    (found,) = _remedies(log)
    assert found.install_config["pip_packages"][-2:] == ["pytest-cov", "pytest-xdist"]
    assert found.label.startswith("with pytest-cov pytest-xdist (pytest: unrecognized --cov-config")
    assert _remedies(log, found.install_config) == []
    assert _remedies("error: unrecognized arguments: --frobnicate\n") == []


def test_a_marker_no_installed_plugin_registers_gets_its_plugin() -> None:
    # dask 2022.02 drafted: `filterwarnings = error` makes the warning a collection error
    log = (
        "dask/tests/test_base.py:1412: in <module>\n    @pytest.mark.flaky(reruns=10, reruns_delay=5)\n"
        "E   pytest.PytestUnknownMarkWarning: Unknown pytest.mark.flaky - is this a typo?\n"
        "E   pytest.PytestUnknownMarkWarning: Unknown pytest.mark.timeout - is this a typo?\n"
    )
    (found,) = _remedies(log)
    assert found.label == "with pytest-rerunfailures pytest-timeout (pytest: unknown mark flaky, timeout)"
    assert found.install_config["pip_packages"][-2:] == ["pytest-rerunfailures", "pytest-timeout"]
    assert _remedies(log, found.install_config) == []
    flaky_package = (
        "    @pytest.mark.flaky(max_runs=3)\nE   PytestUnknownMarkWarning: Unknown pytest.mark.flaky\n"
    )
    assert _remedies(flaky_package)[0].install_config["pip_packages"][-1] == "flaky"
    assert _remedies("E   PytestUnknownMarkWarning: Unknown pytest.mark.slowish - is this a typo?\n") == []
    strict = "ERROR tests/test_a.py - Failed: 'timeout' not found in `markers` configuration option\n"
    assert _remedies(strict)[0].install_config["pip_packages"][-1] == "pytest-timeout"


def test_a_failure_no_candidate_can_get_past_ends_the_loop(tmp_path: Path) -> None:
    fixed = [Candidate("as drafted", RECIPE), Candidate("Python 3.9", {**RECIPE, "python": "3.9"})]

    def build(candidate: Candidate, log: Path, _left: float) -> str:
        raise AttemptFailed("env_build_failed", "checkout-index failed: unable to read sha1 file", final=True)

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        raise AssertionError("nothing built")

    record = verify_env("acme/widget", "1.0", "drafted", fixed, build, collect, tmp_path, VerifyLimits(5, 60))
    assert len(record.verification.attempts) == 1
    assert record.verification.stopped == "final: checkout-index failed: unable to read sha1 file"


def test_the_env_build_s_own_pkg_resources_warning_is_not_a_setuptools_failure() -> None:
    # every env build log holds it (the Dockerfile imports pkg_resources to check the seed)
    log = (
        "<string>:1: UserWarning: pkg_resources is deprecated as an API. See https://setuptools.pypa.io/\n"
        "ERROR: Project file:///testbed refuses an editable install\n"
    )
    assert _remedies(log) == []


def test_an_editable_finder_pytest_cannot_rewrite_gets_its_warning_ignored_once() -> None:
    log = (
        "pytest.PytestAssertRewriteWarning: Module already imported so cannot be rewritten: "
        "__editable___hydra_core_1_2_0_finder\n"
    )
    (found,) = _remedies(log)
    ignored = "-W ignore::pytest.PytestAssertRewriteWarning"
    assert found.install_config["test_cmd"] == f"{RECIPE['test_cmd']} {ignored}"
    assert _remedies(log, found.install_config) == []
    assert _remedies(log.replace("__editable__", "hydra")) == []  # another module's warning is the project's


CRASHY_PLUGIN = """\
def pytest_unconfigure(config):
    # as pytest-snail 0.1.0 does when its option is not given
    assert False, "plugin is not registered"
"""


def test_a_plugin_that_crashes_pytest_is_left_out_and_the_run_then_passes(tmp_path: Path) -> None:
    # a real pytest run with an installed plugin (a dist-info with a pytest11 entry point)
    site = tmp_path / "site-packages"
    (site / "pytest_crashy").mkdir(parents=True)
    (site / "pytest_crashy" / "__init__.py").write_text(CRASHY_PLUGIN)
    info = site / "pytest_crashy-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pytest-crashy\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\ncrashy = pytest_crashy\n")
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_it.py").write_text("def test_it():\n    pass\n")

    def run(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *command.split()[1:], "--collect-only", "-q"],
            cwd=project, env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True,
        )  # fmt: skip

    crashed = run("python -m pytest -rA")
    assert crashed.returncode != 0 and "1 test collected" in crashed.stdout
    (found,) = _remedies(crashed.stdout + crashed.stderr, {**RECIPE, "test_cmd": "python -m pytest -rA"})
    assert found.install_config["test_cmd"] == "python -m pytest -rA -p no:crashy"
    cured = run(found.install_config["test_cmd"])
    assert cured.returncode == 0, cured.stdout + cured.stderr
    assert _remedies(crashed.stdout + crashed.stderr, found.install_config) == []  # tried once
    # a traceback of the project's own tests that passes through a plugin is not pytest's crash
    frame = 'File "/opt/venv/lib/python3.11/site-packages/pytest_crashy/x.py", line 3, in helper'
    failing = f"Traceback (most recent call last):\n  {frame}\nAssertionError\n"
    assert _remedies(failing) == []


def _collection_log(*failing: tuple[str, str], tests: int = 40) -> str:
    """pytest's `--collect-only -q` output with an ERRORS section for each (path, missing module)."""
    sections = "".join(
        f"{'_' * 20} ERROR collecting {path} {'_' * 20}\n"
        f"ImportError while importing test module '/testbed/{path}'.\nTraceback:\n{path}:1: in <module>\n"
        f"    import {module}\nE   ModuleNotFoundError: No module named '{module}'\n"
        for path, module in failing
    )
    summary = "".join(f"ERROR {path}\n" for path, _ in failing)
    return (f"tests/test_frame.py::test_a\n\n{'=' * 20} ERRORS {'=' * 20}\n{sections}"
            f"{'=' * 20} short test summary info {'=' * 20}\n{summary}"
            f"{tests} tests collected, {len(failing)} errors in 2.10s\n")  # fmt: skip


def test_an_import_file_mismatch_is_cured_by_import_mode_then_by_leaving_its_modules_out() -> None:
    # drafted modin 0.11: importlib's mode fails the test modules that import relatively, so the
    # modules pytest could not collect beside a basename it had are left out instead, with one that
    # needs a name the project's package defines only when conda's pyarrow.gandiva imports
    mismatch = (
        f"{'_' * 6} ERROR collecting tests/gpu/test_0.py {'_' * 6}\nimport file mismatch:\n"
        "imported module 'test_0' has this __file__ attribute:\n  /testbed/tests/test_0.py\n"
        f"{'_' * 6} ERROR collecting tests/test_1.py {'_' * 6}\nImportError while importing test module\n"
        "E   ImportError: cannot import name 'ArrowFrame' from 'widget.frames' (/testbed/widget/frames.py)\n"
        f"{'_' * 6} ERROR collecting tests/test_2.py {'_' * 6}\n"
        "E   ImportError: cannot import name 'Sequence' from 'collections' (/usr/lib/collections.py)\n"
        "=== short test summary info ===\n40 tests collected, 3 errors in 2.10s\n"
    )
    tree = Tree({**GPU_TREE, "tests/gpu/test_0.py": "", "widget/frames.py": ""})
    labels = [c.label for c in remedies(Candidate("as drafted", RECIPE), mismatch, tree)]
    assert labels == [
        "test command 'python -m pytest -rA --import-mode=importlib' (import file mismatch)",
        "without 2 test modules importing ArrowFrame (undefined in widget.frames here);"
        " whose basename was collected from another folder (import file mismatch)",
    ]  # not test_2.py: a name the standard library lacks is no optional part of the project
    (_, left_out) = remedies(Candidate("as drafted", RECIPE), mismatch, tree)
    assert left_out.install_config["collect_ignore"] == ["tests/gpu/test_0.py", "tests/test_1.py"]
    # a test module of a package that imports relatively: leaving out goes before import mode
    relative = Tree({**tree, "tests/__init__.py": "", "tests/test_3.py": "from .helpers import frame\n"})
    labels = [c.label for c in remedies(Candidate("as drafted", RECIPE), mismatch, relative)]
    assert labels[0].startswith("without 2 test modules") and "--import-mode=importlib" in labels[1]


def _build_without_dbe(candidate: Candidate, log: Path, _left: float) -> str:
    """A build function for which pip has no `dbe`."""
    if "dbe" in candidate.install_config["pip_packages"]:
        log.write_text(
            "ERROR: Could not find a version that satisfies the requirement dbe (from versions: none)\n"
        )
        raise AttemptFailed("env_build_failed", "pip failed")
    return candidate.label


GPU_MODULE = "tests/gpu/test_cudf.py"
GPU_TREE = {**FILES, **{f"tests/test_{n}.py": "" for n in range(7)}, GPU_MODULE: ""}


def test_test_modules_importing_what_no_file_names_are_left_out_after_the_module_cure() -> None:
    log = _collection_log((GPU_MODULE, "cudf"))
    module, ignore = remedies(Candidate("as drafted", RECIPE), log, Tree(GPU_TREE))
    assert module.label == "with pip package cudf (No module named 'cudf')"  # installing it comes first
    assert ignore.label == "without 1 test module importing cudf (in no requirement of the project)"
    assert ignore.install_config == {**RECIPE, "collect_ignore": [GPU_MODULE]}
    # Once installing it failed (the module cure's recipe), the ignore cure is still named.
    assert remedies(module, log, Tree(GPU_TREE))[-1].install_config["collect_ignore"] == [GPU_MODULE]


@pytest.mark.parametrize(
    ("failing", "tests", "why"),
    [
        (((GPU_MODULE, "yaml"),), 40, "an extra of setup.py names PyYAML: the fixed list's extras"),
        (((GPU_MODULE, "dateutil"),), 40, "requirements/test.txt names python-dateutil"),
        (((GPU_MODULE, "widget.core"),), 40, "the project's own package: its install is broken"),
        (((GPU_MODULE, "cudf"),), 0, "nothing else collects: the env is what is wrong"),
        (tuple((f"tests/test_{n}.py", "cudf") for n in range(3)), 40, "3 of 8 test modules: too many"),
    ],
)  # fmt: skip
def test_test_modules_are_not_left_out_where_the_project_or_the_env_is_at_fault(
    failing: tuple[tuple[str, str], ...], tests: int, why: str
) -> None:
    found = remedies(Candidate("as drafted", RECIPE), _collection_log(*failing, tests=tests), Tree(GPU_TREE))
    assert not any("collect_ignore" in c.install_config for c in found), why


def test_a_cure_whose_build_failed_is_not_tried_again_on_the_next_recipe(tmp_path: Path) -> None:
    # modin 0.15 drafted: `No module named 'dbe'` and an import file mismatch in one collection
    # that counted no tests (so nothing is left out yet); pip has no `dbe`, so after the
    # import-mode cure the same module cure would fail again
    mismatch = "ERROR collecting tests/test_0.py\nimport file mismatch:\nimported module 'test_0'\n"
    dbe = _collection_log((GPU_MODULE, "dbe"))
    dbe_uncounted = _collection_log((GPU_MODULE, "dbe"), tests=0)

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        config = candidate.install_config
        if config.get("collect_ignore"):
            return CollectionCheck("collected", 40, 0, 0, "")
        log = dbe if "importlib" in config["test_cmd"] else mismatch + dbe_uncounted
        return CollectionCheck("collection_errors", 40, 2, 2, log)

    record = verify_env("acme/frames", "0.15", "drafted", [Candidate("as drafted", RECIPE)],
                        _build_without_dbe, collect, tmp_path, VerifyLimits(6, 60),
                        remedy=lambda c, log: remedies(c, log, Tree(GPU_TREE))).verification  # fmt: skip
    assert [(a.label.split(" (")[0], a.outcome) for a in record.attempts] == [
        ("as drafted", "collection_errors"),
        ("with pip package dbe", "env_build_failed"),
        ("test command 'python -m pytest -rA --import-mode=importlib'", "collection_errors"),
        ("without 1 test module importing dbe", "verified"),  # not `dbe` from pip all over again
    ]


def test_a_collection_naming_two_cures_gets_both_in_one_attempt(tmp_path: Path) -> None:
    # one at a time, each cure's attempt shows the other's error again, and attempts run out
    unknown_mark = "E   pytest.PytestUnknownMarkWarning: Unknown pytest.mark.timeout - is this a typo?\n"
    gpu = _collection_log((GPU_MODULE, "dbe"))
    collected: list[dict[str, Any]] = []

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        config = candidate.install_config
        collected.append(config)
        marked = "pytest-timeout" in config["pip_packages"]
        left_out = GPU_MODULE in (config.get("collect_ignore") or [])
        if marked and left_out:
            return CollectionCheck("collected", 40, 0, 0, "")
        log = ("" if marked else unknown_mark) + ("" if left_out else gpu)
        return CollectionCheck("collection_errors", 40, 1, 1, log)

    record = verify_env("acme/frames", "0.11", "drafted", [Candidate("as drafted", RECIPE)],
                        _build_without_dbe, collect, tmp_path, VerifyLimits(6, 60),
                        remedy=lambda c, log: remedies(c, log, Tree(GPU_TREE))).verification  # fmt: skip
    assert [a.outcome for a in record.attempts] == ["collection_errors", "env_build_failed", "verified"]
    assert record.attempts[1].label.startswith("with pip package dbe")  # installing it goes first
    winner = record.attempts[2]
    assert (
        winner.label.startswith("with pytest-timeout")
        and "without 1 test module importing dbe" in winner.label
    )
    assert winner.recipe["collect_ignore"] == [GPU_MODULE]
    assert len(collected) == 2


def test_a_module_the_packaging_files_name_only_in_a_path_is_still_a_package_to_add() -> None:
    # modin 0.28: setup.cfg's coverage `omit` lists modin/experimental/xgboost/test/*, no dependency
    tree = Tree({**FILES, "setup.cfg": "[coverage:run]\nomit =\n    widget/xgboost/test/*\n"})
    log = "E   ModuleNotFoundError: No module named 'xgboost'\n"
    (found,) = remedies(Candidate("as drafted", RECIPE), log, tree)
    assert found.label == "with pip package xgboost (No module named 'xgboost')"


def test_the_next_candidate_of_the_list_passes_over_a_cure_whose_build_failed(tmp_path: Path) -> None:
    # the as-drafted log names two cures, pip's `dbe` (no such package) and leaving its module out;
    # the next candidate of the list takes the one that built, not the first named
    fixed = [Candidate("as drafted", RECIPE), Candidate("Python 3.9", {**RECIPE, "python": "3.9"})]

    def collect(env: str, candidate: Candidate, _log: Path) -> CollectionCheck:
        config = candidate.install_config
        if not config.get("collect_ignore"):
            return CollectionCheck("collection_errors", 40, 1, 1, _collection_log((GPU_MODULE, "dbe")))
        if config["python"] != "3.9":  # a failure no cure names
            return CollectionCheck("collection_errors", 40, 1, 1, "E   RuntimeError: needs Python 3.9\n")
        return CollectionCheck("collected", 40, 0, 0, "")

    cures = lambda c, log: remedies(c, log, Tree(GPU_TREE))  # noqa: E731
    record = verify_env("acme/frames", "0.15", "drafted", fixed, _build_without_dbe, collect, tmp_path,
                        VerifyLimits(6, 60), remedy=cures).verification  # fmt: skip
    ignore = "without 1 test module importing dbe"
    assert [(a.label.split(" (")[0], a.outcome) for a in record.attempts] == [
        ("as drafted", "collection_errors"),
        ("with pip package dbe", "env_build_failed"),
        (ignore, "collection_errors"),
        (f"Python 3.9; {ignore}", "verified"),
    ]


# pip 26's words on omegaconf 2.1.0.dev26 (hydra 1.1's pin), whose metadata requires `PyYAML>=5.1.*`
REFUSED = (
    "WARNING: Ignoring version 2.1.0.dev26 of omegaconf since it has invalid metadata:\n"
    "Requested omegaconf==2.1.0.dev26 from https://files.pythonhosted.org/omegaconf-2.1.0.dev26-py3-none-any.whl"
    " has invalid metadata: .* suffix can only be used with `==` or `!=` operators\n"
    "Please use pip<24.1 if you need to use this version.\n"
    "ERROR: Could not find a version that satisfies the requirement omegaconf==2.1.0.dev26"
    " (from versions: 2.0.6, 2.1.0.dev26)\n"
)


def test_a_release_pip_refuses_for_its_metadata_is_installed_by_uv_not_unpinned() -> None:
    config = {**RECIPE, "install": [*RECIPE["install"], "env -u PIP_FIND_LINKS pip3 install --no-deps 'x<2'"]}
    (found,) = _remedies(REFUSED, config)
    assert found.label == "uv for pip's installs (pip refused omegaconf 2.1.0.dev26: invalid metadata)"
    assert found.install_config["install"] == [
        "uv pip install -r requirements-dev.txt -c constraints.txt",
        "uv pip install -e .",
        "env -u UV_FIND_LINKS uv pip install --no-deps 'x<2'",
    ]
    assert found.install_config["env"] == {"UV_BUILD_CONSTRAINT": "/opt/swegym/constraints.txt"}
    assert {k: v for k, v in found.install_config.items() if k not in ("install", "env")} == {
        k: v for k, v in config.items() if k not in ("install", "env")
    }
    assert _remedies(REFUSED, found.install_config) == []  # nothing left for pip to refuse


def test_the_uv_cure_reaches_the_pip_install_a_filtered_requirements_file_feeds() -> None:
    (without,) = _remedies(GONE)  # the first step is now `sed ... > file.swegym && python -m pip install ...`
    (found,) = _remedies(REFUSED, without.install_config)
    first = found.install_config["install"][0]
    assert " && uv pip install -r requirements-dev.txt.swegym" in first
    assert "python -m pip" not in first


# pip 26 on dvc 2.0's own tests extra, which pins a moto dev build PyPI no longer has
PINNED_BY_THE_PROJECT = (
    'ERROR: Could not find a version that satisfies the requirement moto==1.3.16.dev122; extra == "tests"'
    " (from dvc[tests]) (from versions: 1.3.14, 1.3.15, 1.3.16)\n"
    'ERROR: No matching distribution found for moto==1.3.16.dev122; extra == "tests"\n'
)


def test_a_pin_in_a_package_s_own_metadata_that_no_version_meets_is_overridden_by_uv(tmp_path: Path) -> None:
    (found,) = _remedies(PINNED_BY_THE_PROJECT)
    assert found.label == (
        "uv overriding moto==1.3.16.dev122 with moto==1.3.16 (pip: no such version; from dvc[tests])"
    )
    config = found.install_config
    assert config["install"] == [
        "uv pip install -r requirements-dev.txt -c constraints.txt",
        "uv pip install -e .",
    ]
    assert config["env"] == {
        "UV_BUILD_CONSTRAINT": "/opt/swegym/constraints.txt",
        "UV_OVERRIDE": "/opt/swegym/overrides.txt",
    }
    overrides = tmp_path / "overrides.txt"
    (step,) = config["pre_install"]
    subprocess.run(["bash", "-c", step.replace("/opt/swegym/overrides.txt", str(overrides))], check=True)
    assert overrides.read_text() == "moto==1.3.16\n"
    # a release the index lacks too: the name alone, which the cut-off bounds
    (bare,) = _remedies(PINNED_BY_THE_PROJECT.replace(", 1.3.16)", ")"))
    assert bare.label.startswith("uv overriding moto==1.3.16.dev122 with moto (")
    assert _remedies(PINNED_BY_THE_PROJECT, config) == []  # its installs are uv's already


# a dependency by URL that a package's own metadata holds, on a host out of reach: pip's and uv's logs
HELD_BY_PIP = (
    "Collecting gdrivefs@ git+https://github.com/intake/gdrivefs.git (from dvc[gdrive])\n"
    "  Cloning https://github.com/intake/gdrivefs.git to /tmp/pip-install-x/gdrivefs_1\n"
    "  fatal: unable to access 'https://github.com/intake/gdrivefs.git/':"
    " Could not resolve host: github.com\n"
)
HELD_BY_UV = (
    "error: Failed to download and build `gdrivefs @ git+https://github.com/intake/gdrivefs.git`\n"
    "  cause: Git operation failed\n"
    "         fatal: unable to access 'https://github.com/intake/gdrivefs.git/':"
    " Could not resolve host: github.com\n"
)


@pytest.mark.parametrize("log", [HELD_BY_PIP, HELD_BY_UV], ids=["pip", "uv"])
def test_a_url_dependency_no_recipe_line_names_on_a_host_out_of_reach_is_overridden_by_name(
    log: str, tmp_path: Path
) -> None:
    (found,) = _remedies(log)
    assert found.label == "uv overriding gdrivefs by the index's (github.com unreachable)"
    assert found.avoids_host == "github.com"  # the loop goes on past the host with it
    assert found.install_config["install"][1] == "uv pip install -e ."
    # after the pin override, with uv's installs already: the file gets the name as well
    (pinned,) = _remedies(PINNED_BY_THE_PROJECT)
    (both,) = _remedies(log, pinned.install_config)
    assert both.install_config["install"] == pinned.install_config["install"]
    overrides = tmp_path / "overrides.txt"
    for step in both.install_config["pre_install"]:
        subprocess.run(["bash", "-c", step.replace("/opt/swegym/overrides.txt", str(overrides))], check=True)
    assert overrides.read_text() == "moto==1.3.16\ngdrivefs\n"
    assert _remedies(log, both.install_config) == []  # overridden already: nothing new to try


# uv building yamllint 1.26.1's sdist (hydra 1.1's env) under setuptools 80
LEGACY_SPECIFIER = (
    "  × Failed to build `yamllint==1.26.1`\n"
    "  ├─▶ The build backend returned an error\n"
    "  ╰─▶ Call to `setuptools.build_meta:__legacy__.build_wheel` failed (exit status: 1)\n"
    '         raise InvalidSpecifier(f"Invalid specifier: {spec!r}")\n'
    "         packaging.specifiers.InvalidSpecifier: Invalid specifier: '>=3.5.*'\n"
)


def test_a_build_refusing_a_legacy_specifier_gets_the_last_setuptools_that_reads_them() -> None:
    (found,) = _remedies(LEGACY_SPECIFIER)
    assert found.label == "setuptools<66 (a build refused the legacy specifier '>=3.5.*')"
    assert found.install_config["pip_constraints"] == ["setuptools<66"]
    assert found.install_config["install"] == RECIPE["install"]
    # every isolated build takes the constraints, pip's and uv's
    assert found.install_config["env"] == {
        "PIP_BUILD_CONSTRAINT": "/opt/swegym/constraints.txt",
        "UV_BUILD_CONSTRAINT": "/opt/swegym/constraints.txt",
    }
    assert _remedies(LEGACY_SPECIFIER, found.install_config) == []
    # setuptools' own message for a setup.py's python_requires
    setup_py = (
        "error in legacyspec setup command: 'python_requires' must be a string containing valid"
        " version specifiers; Invalid specifier: '>=2.7.*'\n"
    )
    assert _remedies(setup_py)[0].label == "setuptools<66 (a build refused the legacy specifier '>=2.7.*')"
    # pip refuses a build constraint with --no-build-isolation: that step goes without it
    shared = {**RECIPE, "install": ["python -m pip install --no-build-isolation -e . || true"]}
    (cured,) = _remedies(LEGACY_SPECIFIER, shared)
    assert cured.install_config["install"] == [
        "env -u PIP_BUILD_CONSTRAINT python -m pip install --no-build-isolation -e . || true"
    ]
    assert _remedies(LEGACY_SPECIFIER, {**RECIPE, "python": "3.12"}) == []  # 65 does not run there
    chosen = {**RECIPE, "pip_constraints": ["numpy<2", "setuptools<60"]}
    assert _remedies(LEGACY_SPECIFIER, chosen) == []  # the recipe chose its setuptools
    scm = {**RECIPE, "pip_constraints": ["setuptools-scm<8"]}
    assert _remedies(LEGACY_SPECIFIER, scm)[0].install_config["pip_constraints"] == [
        "setuptools-scm<8",
        "setuptools<66",
    ]


# pip 26 on moto 1.3's requirements-dev.txt under Python 3.9: lxml 4.2.3's C predates it
UNBUILT_PIN = (
    "Collecting lxml==4.2.3 (from -r requirements-dev.txt (line 2))\n"
    "  Downloading lxml-4.2.3.tar.gz (4.4 MB)\n"
    "      src/lxml/etree.c:289:12: error: 'PyTypeObject' has no member named 'tp_print'\n"
    "      error: command '/usr/bin/gcc' failed with exit code 1\n"
    "  ERROR: Failed building wheel for lxml\n"
    "Failed to build lxml\n"
    "ERROR: Failed to build installable wheels for some pyproject.toml based projects (lxml)\n"
)

# pip 23 fails the same pin's egg_info and names no package where it gives up
UNBUILT_METADATA = (
    "Collecting lxml==4.2.3 (from -r requirements-dev.txt (line 2))\n"
    "  Downloading lxml-4.2.3.tar.gz (4.4 MB)\n"
    "  Preparing metadata (setup.py) ... error\n"
    "  error: subprocess-exited-with-error\n"
    "  ╰─> [3 lines of output]\n"
    "      Building lxml version 4.2.3.\n"
    "Collecting pytest>=7 (from -r requirements-dev.txt (line 3))\n"
    "error: metadata-generation-failed\n"
    "× Encountered error while generating package metadata.\n"
    "╰─> See above for output.\n"
)


def test_a_pinned_release_that_does_not_build_is_unpinned_where_the_recipe_pins_it(tmp_path: Path) -> None:
    tree = Tree({**FILES, "requirements-dev.txt": "-r requirements-min.txt\nlxml==4.2.3\npytest>=7\n"})
    (found,) = remedies(Candidate("as drafted", RECIPE), UNBUILT_PIN, tree)
    assert found.label == "lxml unpinned (lxml==4.2.3 did not build)"
    _write(tmp_path)
    (tmp_path / "requirements-dev.txt").write_text(tree["requirements-dev.txt"])
    filtering = found.install_config["install"][0].split(" && ")[0]
    subprocess.run(["bash", "-c", filtering], cwd=tmp_path, check=True)
    assert (tmp_path / "requirements-dev.txt.swegym").read_text().splitlines()[1].strip() == "lxml"
    # uv's form names the pin itself
    (by_uv,) = remedies(Candidate("as drafted", RECIPE), "error: Failed to build `lxml==4.2.3`\n", tree)
    assert by_uv.label == found.label
    # pip <= 25 names the package only where it collects it
    (by_old_pip,) = remedies(Candidate("as drafted", RECIPE), UNBUILT_METADATA, tree)
    assert by_old_pip.label == found.label
    assert (
        remedies(Candidate("as drafted", RECIPE), UNBUILT_METADATA.replace(" ... error", " ... done"), tree)
        == []
    )
    # a pin in some package's own metadata, or a project's own build: nothing the recipe can unpin
    assert _remedies(UNBUILT_PIN) == []
    assert _remedies("  ERROR: Failed building editable for widget\n") == []
