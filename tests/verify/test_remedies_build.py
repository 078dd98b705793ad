"""A drafted recipe whose failures name their cure: the build reads each failed attempt's log and
tries what it points at next, through the real engine.

`acme/stubby`'s requirements file lists a stub package that is on no index (withdrawn from PyPI, as
`types-pkg_resources` was) and a dependency pinned to a git checkout on a host the build cannot
reach (as modin's asv and MONAI's MetricsReloaded are, on GitHub), and its tests run `java` when
they are imported (as hydra's ANTLR build does). `acme/vintage` (2022) imports pkg_resources in a
`filterwarnings = error` suite, as pydantic 1.9 does: the env's setuptools warns there, the era's
did not. `acme/plugged` ships a pytest plugin, as hydra does, in a flat layout that August 2022's
setuptools (64, the first with PEP 660) installs editable through a finder module pytest cannot
rewrite (later releases mark it PYTEST_DONT_REWRITE), under `filterwarnings = error`. No cure is in
the fixed candidate list. `acme/gpuish` has one test module for a GPU library that no file of
the project names and no index has: it is left out of the collection once installing it failed.
`acme/legacy` pins a release whose metadata requires `six>=1.0.*`, a legacy specifier that pip
24.1+ refuses (as omegaconf 2.1.0.dev26, hydra 1.1's, requires `PyYAML>=5.1.*`): uv installs it.
`acme/devpin`'s own tests extra pins a dev build no index has (as dvc 2.0's pins moto 1.3.16.dev122):
uv installs it with that pin overridden by its release. `acme/urlpin`'s own tests extra takes a
dependency from a git host out of reach (as dvc 2.0's gdrive extra takes gdrivefs from GitHub), and
no recipe line names it: uv installs the index's release of it instead. `acme/oldspec` says
`python_requires = >=3.5.*` (as yamllint 1.26.1, in hydra 1.1's env, does), which setuptools 66+
refuses: its builds get setuptools 65. `acme/cext` pins a release of a C extension whose C does not
compile here (as moto 1.x pins lxml 4.2.3, whose C predates Python 3.9): unpinned, the next release,
a wheel, installs.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import docker
import pytest

from swegym_build.handoff import read_built
from swegym_build.specs import load_spec_file
from swegym_build.verify.records import read_verifications
from swegym_build.workspace import Workspace
from tests.verify.worlds import as_test_user, attempts, build_drafted

pytestmark = pytest.mark.docker
REPO, VINTAGE, PLUGGED, GPUISH = "acme/stubby", "acme/vintage", "acme/plugged", "acme/gpuish"
LEGACY, DEVPIN, URLPIN, OLDSPEC, CEXT = (
    "acme/legacy",
    "acme/devpin",
    "acme/urlpin",
    "acme/oldspec",
    "acme/cext",
)
GONE = "swegym-build-withdrawn-stubs"  # no index has it
# a dependency pinned to a checkout on a host the build cannot reach (nothing listens there)
CHECKOUT = "git+http://127.0.0.1:9/benjaminp/six.git@1.16.0"
REQUIREMENTS = f"pytest\n{GONE}  # type stubs\n{CHECKOUT}\n"
FILES = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "stubby"
version = "1.0.0"
requires-python = ">=3.11"
classifiers = ["Programming Language :: Python :: 3.11"]

[tool.setuptools]
packages = ["stubby"]
""",
    "stubby/__init__.py": "",
    "tox.ini": "[testenv]\ndeps = -r requirements-dev.txt\ncommands = pytest {posargs}\n",
    "requirements-dev.txt": REQUIREMENTS,
    "tests/test_stubby.py": (
        "import subprocess\n\nsubprocess.run(['java', '-version'], check=True)\n\n\n"
        "def test_stubby():\n    pass\n"
    ),
}


VINTAGE_FILES = {
    "setup.py": "from setuptools import setup\nsetup(name='vintage', version='0.3', packages=['vintage'])\n",
    "setup.cfg": "[tool:pytest]\nfilterwarnings =\n    error\n",
    "vintage/__init__.py": "",
    "tests/test_vintage.py": "import pkg_resources\n\n\ndef test_vintage():\n    pass\n",
}


PLUGGED_FILES = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "plugged"
version = "1.2.0"
requires-python = ">=3.8"
dependencies = ["pytest"]

[project.entry-points.pytest11]
plugged = "plugged.plugin"

[tool.setuptools]
packages = ["plugged"]

[tool.pytest.ini_options]
filterwarnings = ["error"]
""",
    "plugged/__init__.py": "",
    "plugged/plugin.py": "import pytest\n\n\n@pytest.fixture\ndef answer():\n    return 42\n",
    "tests/test_plugged.py": "def test_plugged(answer):\n    assert answer == 42\n",
}


# a test module for hardware this machine lacks, importing a library no file of the project names
# (as modin's cuDF tests import cudf) and no index has
GPU_ONLY = "swegym_build_gpu_only_engine"
GPUISH_FILES = {
    "setup.py": "from setuptools import setup\nsetup(name='gpuish', version='2.0', packages=['gpuish'])\n",
    "gpuish/__init__.py": "",
    **{f"tests/test_{name}.py": f"def test_{name}():\n    pass\n" for name in ("frame", "series", "io")},
    "tests/gpu/test_kernels.py": f"import {GPU_ONLY}\n\n\ndef test_kernel():\n    pass\n",
}


def _wheel(name: str, version: str, requirement: str = "") -> bytes:
    """A pure wheel whose metadata requires `requirement`, written as it is (no tool checks it)."""
    info = f"{name}-{version}.dist-info"
    requires = f"Requires-Dist: {requirement}\n" if requirement else ""
    files = {
        f"{name}/__init__.py": b"",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires}".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{path},sha256={_urlsafe_sha256(data)},{len(data)}" for path, data in files.items()]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,\n"]).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return out.getvalue()


def _urlsafe_sha256(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


LEGACY_DEPENDENCY = "swegym_legacy_meta"  # on no index: the repository carries its wheel
LEGACY_FILES: dict[str, str | bytes] = {
    "setup.py": "from setuptools import setup\nsetup(name='legacy', version='1.1', packages=['legacy'])\n",
    "legacy/__init__.py": "",
    "tox.ini": "[testenv]\ndeps = -r requirements-dev.txt\ncommands = pytest {posargs}\n",
    "requirements-dev.txt": f"--find-links wheels\n{LEGACY_DEPENDENCY}==1.0\npytest\n",
    f"wheels/{LEGACY_DEPENDENCY}-1.0-py3-none-any.whl": _wheel(LEGACY_DEPENDENCY, "1.0", "six>=1.0.*"),
    "tests/test_legacy.py": f"import six\nimport {LEGACY_DEPENDENCY}\n\n\ndef test_legacy():\n    pass\n",
}


def _sdist(name: str, version: str, files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(f"{name}-{version}/{path}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return out.getvalue()


CEXT_DEPENDENCY = "swegym_cext"  # on no index: the repository carries its releases
CEXT_FILES: dict[str, str | bytes] = {
    "setup.py": "from setuptools import setup\nsetup(name='cext', version='0.1', packages=['cext'])\n",
    "cext/__init__.py": "",
    "requirements-dev.txt": f"--find-links wheels\n{CEXT_DEPENDENCY}==1.0\npytest\n",
    f"wheels/{CEXT_DEPENDENCY}-1.0.tar.gz": _sdist(
        CEXT_DEPENDENCY,
        "1.0",
        {
            "setup.py": "from setuptools import Extension, setup\n"
            f"setup(name='{CEXT_DEPENDENCY}', version='1.0', packages=['{CEXT_DEPENDENCY}'],\n"
            f"      ext_modules=[Extension('{CEXT_DEPENDENCY}._speedups', ['speedups.c'])])\n",
            f"{CEXT_DEPENDENCY}/__init__.py": "",
            "speedups.c": '#error "this C predates the Python it is built for"\n',
        },
    ),
    f"wheels/{CEXT_DEPENDENCY}-1.1-py3-none-any.whl": _wheel(CEXT_DEPENDENCY, "1.1"),
    "tests/test_cext.py": f"import {CEXT_DEPENDENCY}\n\n\ndef test_cext():\n    pass\n",
}


DEVPIN_FILES = {
    "setup.py": """\
from setuptools import setup

setup(
    name="devpin",
    version="2.0",
    packages=["devpin"],
    extras_require={
        "tests": ["pytest", "six==1.16.0.dev3"],
    },
)
""",
    "devpin/__init__.py": "",
    "tests/test_devpin.py": "import six\n\n\ndef test_devpin():\n    assert six.__version__ == '1.16.0'\n",
}

URLPIN_FILES = {
    "setup.py": f"""\
from setuptools import setup

setup(
    name="urlpin",
    version="3.0",
    packages=["urlpin"],
    extras_require={{"tests": ["pytest", "six @ {CHECKOUT}"]}},
)
""",
    "urlpin/__init__.py": "",
    "tests/test_urlpin.py": "import six\n\n\ndef test_urlpin():\n    assert six.PY3\n",
}

OLDSPEC_FILES = {
    "setup.py": "from setuptools import setup\n\nsetup()\n",
    "setup.cfg": "[metadata]\nname = oldspec\nversion = 1.0\n\n[options]\npackages = oldspec\n"
    "python_requires = >=3.5.*\n\n[options.extras_require]\ntests = pytest\n",
    "oldspec/__init__.py": "",
    "tests/test_oldspec.py": "def test_oldspec():\n    import oldspec  # noqa: F401\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient) -> Workspace:
    worlds = {
        REPO: (FILES, "2024-05-01"),
        VINTAGE: (VINTAGE_FILES, "2022-06-01"),
        PLUGGED: (PLUGGED_FILES, "2022-08-20"),
        GPUISH: (GPUISH_FILES, "2024-03-01"),
        LEGACY: (LEGACY_FILES, "2024-09-01"),
        DEVPIN: (DEVPIN_FILES, "2024-09-01"),
        URLPIN: (URLPIN_FILES, "2024-09-01"),
        OLDSPEC: (OLDSPEC_FILES, "2024-09-01"),
        CEXT: (CEXT_FILES, "2024-09-01"),
    }
    workspace, summary = build_drafted(
        tmp_path_factory.mktemp("remedies"), docker_client, worlds, max_attempts=4
    )
    assert summary.outcomes == {"kept": 9}, summary.report.problems
    return workspace


def test_each_failure_s_cure_is_tried_next_and_the_winner_recorded(built: Workspace) -> None:
    [record] = read_verifications(built, REPO).values()
    assert [(a.label, a.outcome) for a in record.attempts] == [
        ("as drafted", "env_build_failed"),  # pip stops at the checkout first
        ("six from the index (127.0.0.1 unreachable)", "env_build_failed"),
        (f"without {GONE} (pip: none on the index)", "collection_errors"),
        ("with apt default-jre-headless (java not found)", "verified"),
    ]
    assert record.recipe is not None and record.recipe["apt_packages"] == ["default-jre-headless"]
    spec = load_spec_file(built.draft_spec_file(REPO))  # the draft to copy into specs/ has the cure
    recipe = spec.for_version("1.0")
    assert recipe.apt_packages == ("default-jre-headless",)
    assert recipe.install[0].endswith("python -m pip install -r requirements-dev.txt.swegym")


def test_the_repository_s_requirements_file_is_not_edited_in_the_image(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    image = read_built(built)["acme__stubby-1"].image
    script = (
        "cd /testbed && cat requirements-dev.txt && git status --porcelain && python -m pytest -q tests"
        " && python -c 'import six; print(six.__version__)'"  # the checkout's package, from the index
    )
    out = as_test_user(docker_client, image, script)
    assert out.startswith(REQUIREMENTS)
    assert ".swegym" not in out and "1 passed" in out
    assert out.rstrip().endswith("1.16.0")


def test_a_setuptools_warning_the_era_did_not_have_gets_the_era_s_setuptools(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    [record] = read_verifications(built, VINTAGE).values()
    assert [(a.label, a.outcome) for a in record.attempts] == [
        ("as drafted", "collection_errors"),
        ("setuptools of the cut-off (a setuptools warning failed the tests)", "verified"),
    ]
    assert "pkg_resources is deprecated" in Path(record.attempts[0].log).read_text()
    image = read_built(built)["acme__vintage-1"].image
    version = "python -c 'import setuptools; print(setuptools.__version__)'"
    script = f"cd /testbed && {version} && python -m pytest -q tests"
    out = as_test_user(docker_client, image, script)
    major = int(out.split()[0].split(".")[0])
    assert major < 67 and "1 passed" in out  # June 2022's setuptools (62), not the env's newest


def test_an_editable_finder_pytest_cannot_rewrite_gets_its_warning_ignored(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    [record] = read_verifications(built, PLUGGED).values()
    cure = "(an editable finder pytest cannot rewrite)"
    assert [(a.outcome, cure in a.label) for a in record.attempts] == [
        ("command_failed", False),  # pytest stops before collecting
        ("verified", True),
    ]
    assert "cannot be rewritten: __editable__" in Path(record.attempts[0].log).read_text()
    command = load_spec_file(built.draft_spec_file(PLUGGED)).for_version("1.2").effective_test_cmd
    assert command.endswith(" -W ignore::pytest.PytestAssertRewriteWarning")
    image = read_built(built)["acme__plugged-1"].image
    out = as_test_user(docker_client, image, f"cd /testbed && {command} -q tests")
    assert "1 passed" in out


def test_a_test_module_for_a_library_nothing_names_is_left_out_once_installing_it_failed(
    built: Workspace,
) -> None:
    [record] = read_verifications(built, GPUISH).values()
    assert [(a.label, a.outcome) for a in record.attempts] == [
        ("as drafted", "collection_errors"),
        (f"with pip package {GPU_ONLY} (No module named '{GPU_ONLY}')", "env_build_failed"),
        (f"without 1 test module importing {GPU_ONLY} (in no requirement of the project)", "verified"),
    ]
    assert record.attempts[-1].tests == 3
    recipe = load_spec_file(built.draft_spec_file(GPUISH)).for_version("2.0")
    assert recipe.collect_ignore == ("tests/gpu/test_kernels.py",)  # the draft to copy says so
    assert read_built(built)["acme__gpuish-1"].image  # its instance was built, not rejected env_unverified


def test_a_release_pip_refuses_for_its_metadata_is_installed_by_uv(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    [record] = read_verifications(built, LEGACY).values()
    assert [(a.label, a.outcome) for a in record.attempts] == [
        ("as drafted", "env_build_failed"),
        (f"uv for pip's installs (pip refused {LEGACY_DEPENDENCY} 1.0: invalid metadata)", "verified"),
    ]
    assert "since it has invalid metadata" in Path(record.attempts[0].log).read_text()
    recipe = load_spec_file(built.draft_spec_file(LEGACY)).for_version("1.1")
    assert all(step.startswith("uv pip install") for step in recipe.install)  # the draft to copy
    image = read_built(built)["acme__legacy-1"].image  # the instance tier installed the project by uv too
    out = as_test_user(docker_client, image, "cd /testbed && python -m pytest -q tests")
    assert "1 passed" in out


def test_a_pin_of_the_project_s_own_extra_that_no_version_meets_is_overridden_by_uv(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    cure = "uv overriding six==1.16.0.dev3 with six==1.16.0 (pip: no such version; from devpin[tests])"
    assert attempts(built, DEVPIN) == [("as drafted", "env_build_failed"), (cure, "verified")]
    recipe = load_spec_file(built.draft_spec_file(DEVPIN)).for_version("2.0")  # the draft to copy
    assert dict(recipe.env) == {
        "UV_BUILD_CONSTRAINT": "/opt/swegym/constraints.txt",
        "UV_OVERRIDE": "/opt/swegym/overrides.txt",
    }
    image = read_built(built)["acme__devpin-1"].image  # the instance tier's install kept the override
    out = as_test_user(docker_client, image, "cd /testbed && python -m pytest -q tests")
    assert "1 passed" in out


def test_a_url_dependency_of_the_project_s_own_extra_on_a_host_out_of_reach_comes_from_the_index(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    tried = attempts(built, URLPIN)
    assert tried == [
        ("as drafted", "env_build_failed"),  # pip stops at the clone: no recipe line names the URL
        ("uv overriding six by the index's (127.0.0.1 unreachable)", "verified"),
    ]
    image = read_built(built)["acme__urlpin-1"].image
    out = as_test_user(
        docker_client, image, "cat /opt/swegym/overrides.txt; cd /testbed && python -m pytest -q tests"
    )
    assert out.startswith("six\n") and "1 passed" in out


def test_a_build_refusing_a_legacy_specifier_gets_setuptools_65(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    tried = attempts(built, OLDSPEC)
    assert tried == [
        ("as drafted", "env_build_failed"),
        ("setuptools<66 (a build refused the legacy specifier '>=3.5.*')", "verified"),
    ]
    image = read_built(built)["acme__oldspec-1"].image
    version = "python -c 'import setuptools; print(setuptools.__version__)'"
    script = f"{version}; cd /testbed && python -m pytest -q tests"
    out = as_test_user(docker_client, image, script)
    assert out.startswith("65.") and "1 passed" in out


def test_a_pinned_release_that_does_not_build_here_is_unpinned(
    built: Workspace, docker_client: docker.DockerClient
) -> None:
    tried = attempts(built, CEXT)
    assert tried == [
        ("as drafted", "env_build_failed"),
        ("swegym_cext unpinned (swegym_cext==1.0 did not build)", "verified"),
    ]
    image = read_built(built)["acme__cext-1"].image
    out = as_test_user(docker_client, image, "python -m pip list 2>/dev/null | grep -i cext")
    assert "1.1" in out.split()
