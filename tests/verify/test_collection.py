"""The collection check of a recipe: real pytest/unittest runs judged, and the contained run in a
real env image."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from swegym_build.handoff import read_built
from swegym_build.jsonl import read_jsonl
from swegym_build.verify import check_collection, collection_script, judge_collection
from swegym_build.verify.collection import collection_paths
from swegym_build.workspace import Workspace
from tests.verify.tree import write_tree

PYTEST = {"log_parser": "pytest", "test_cmd": "pytest -rA"}
UNITTEST = {"log_parser": "unittest", "test_cmd": "python -m unittest discover -v -s tests"}
GOOD = (
    "import unittest\n\nclass T(unittest.TestCase):\n"
    "    def test_a(self):\n        pass\n\n    def test_b(self):\n        pass\n"
)
BROKEN = "import no_such_module_anywhere\n\ndef test_c():\n    pass\n"


def run_here(folder: Path, config: dict[str, str], paths: tuple[str, ...] = ()) -> tuple[int, str]:
    script = collection_script(config, paths)
    assert script is not None
    # the interpreter running these tests (with pytest) is the `python`/`pytest` on PATH
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "test_good.py").write_text(GOOD)
    return tmp_path


@pytest.mark.parametrize("config", [PYTEST, UNITTEST], ids=["pytest", "unittest"])
def test_collected_tests_verify_the_recipe(project: Path, config: dict[str, str]) -> None:
    check = judge_collection(*run_here(project, config))
    assert check.verified, check.log
    assert (check.tests, check.errors, check.exit_code) == (2, 0, 0)


@pytest.mark.parametrize("config", [PYTEST, UNITTEST], ids=["pytest", "unittest"])
def test_a_module_that_does_not_import_fails_the_check(project: Path, config: dict[str, str]) -> None:
    (project / "tests" / "test_broken.py").write_text(BROKEN)
    check = judge_collection(*run_here(project, config))
    assert not check.verified
    assert check.reason == "collection_errors" and check.errors == 1, check.log
    assert "test_broken" in check.log


def test_a_coloured_collection_is_judged_as_the_terminal_shows_it(project: Path) -> None:
    (project / "tests" / "test_broken.py").write_text(BROKEN)
    config = {**PYTEST, "test_cmd": "pytest -rA --color=yes"}  # dask's addopts has --color=yes
    code, output = run_here(project, config)
    assert "\x1b[" in output
    check = judge_collection(code, output)
    assert (check.reason, check.errors, check.tests) == ("collection_errors", 1, 2), check.log
    assert "\x1b[" not in check.log  # what the remedies read


@pytest.mark.parametrize("config", [PYTEST, UNITTEST], ids=["pytest", "unittest"])
def test_no_tests_is_not_verified(tmp_path: Path, config: dict[str, str]) -> None:
    (tmp_path / "tests").mkdir()
    check = judge_collection(*run_here(tmp_path, config))
    assert check.reason == "no_tests" and check.tests == 0, check.log


def test_an_exit_code_suite_cannot_be_checked_by_collection() -> None:
    assert collection_script({"log_parser": "exit_code", "test_cmd": "make check"}) is None


def _env_image_and_recipe(workspace: Workspace) -> tuple[str, dict[str, object]]:
    built = read_built(workspace)
    for repo in workspace.raw_repos():
        for row in read_jsonl(workspace.versioned_file(repo)):
            if row["instance_id"] in built:
                return built[row["instance_id"]].env_image, row["install_config"]
    raise AssertionError("the built sample has no built instance")


@pytest.mark.docker
def test_the_env_image_of_a_built_recipe_collects_its_tests(
    built_sample: Workspace, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    image, recipe = _env_image_and_recipe(built_sample)
    check = check_collection(docker_client, image, recipe, log_file=tmp_path / "collect.log")
    assert check.verified, check.log
    assert check.tests >= 1
    assert "--collect-only" in (tmp_path / "collect.log").read_text()

    missing = check_collection(docker_client, image, {**recipe, "test_cmd": "pytest -rA no_such_dir"})
    assert not missing.verified and missing.exit_code == 4


def test_a_test_command_with_its_own_quiet_flag_still_counts_its_tests(project: Path) -> None:
    # `pytest -q` + the check's `--collect-only -q` is pytest's `-qq`: one `file: count` line a file
    check = judge_collection(*run_here(project, {"log_parser": "pytest", "test_cmd": "pytest -q"}))
    assert check.verified and check.tests == 2, check.log


def test_a_test_command_with_its_own_verbose_flags_still_counts_its_tests(project: Path) -> None:
    # pydantic's `pytest -vv` + `--collect-only -q`: a `<Function ...>` tree and a framed total
    check = judge_collection(*run_here(project, {"log_parser": "pytest", "test_cmd": "pytest -vv"}))
    assert "<TestCaseFunction test_a>" in check.log
    assert check.verified and check.tests == 2, check.log


# a package whose conftest adds options that its test command passes and that it reads when
# pytest configures (modin's layout; pytest before 9 also lacks a late store_true's default)
OPTION_CONFTEST = """\
def pytest_addoption(parser):
    parser.addoption("--execution", default=None)
    parser.addoption("--extra-test-parameters", action="store_true")


def pytest_configure(config):
    assert config.option.execution == "python" and not config.option.extra_test_parameters
"""


def test_a_package_conftest_that_adds_options_is_collected_as_validate_runs_it(tmp_path: Path) -> None:
    files = {
        "setup.py": "from setuptools import setup\nsetup(name='frames')\n",
        "frames/__init__.py": "",
        "frames/conftest.py": OPTION_CONFTEST,
        "frames/pandas/test/test_series.py": "def test_series():\n    pass\n",
        "frames/core/tests/test_core.py": "def test_core():\n    pass\n",
        "docs/conf.py": "project = 'frames'\n",
    }
    write_tree(tmp_path, files)
    paths = collection_paths(list(files), files.get)
    assert paths == ("frames",)

    config = {**PYTEST, "test_cmd": "pytest -rA --execution=python"}
    whole_tree = judge_collection(*run_here(tmp_path, config))
    # walking the whole tree, the conftest is found too late for its options to exist
    assert not whole_tree.verified and "unrecognized arguments: --execution=python" in whole_tree.log
    check = judge_collection(*run_here(tmp_path, config, paths))
    assert check.verified, check.log
    assert check.tests == 2


def test_modules_a_spec_leaves_out_of_the_collection_are_not_collected(project: Path) -> None:
    # a backend no env here can have (modin's cudf storage format needs a GPU)
    (project / "tests" / "gpu").mkdir()
    (project / "tests" / "gpu" / "test_cudf.py").write_text("import cudf_for_gpus_only\n")
    assert judge_collection(*run_here(project, PYTEST)).reason == "collection_errors"
    config = {**PYTEST, "collect_ignore": ["tests/gpu/*"]}
    check = judge_collection(*run_here(project, config))  # type: ignore[arg-type]
    assert check.verified and check.tests == 2, check.log


def test_the_whole_tree_is_collected_when_pytest_chooses_its_own_folders() -> None:
    modules = ["pkg/tests/test_a.py", "pkg/__init__.py"]
    assert collection_paths(modules, {}.get) == ("pkg",)
    assert collection_paths([*modules, "test_top.py"], {}.get) == ()  # a test module at the top
    config = {"pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['pkg/tests']\n"}
    assert collection_paths([*modules, *config], config.get) == ()
    # folders pytest does not walk into (hydra's plugins/ and examples/, tested under nox) stay out
    tree = [*modules, "plugins/a/tests/test_p.py", "examples/tests/test_e.py", "build/tests/test_b.py"]
    ini = {"pytest.ini": "[pytest]\nnorecursedirs =\n  .nox  # virtualenvs\n  plugins\n  examples\n"}
    assert collection_paths([*tree, *ini], ini.get) == (
        "build",
        "pkg",
    )  # the project's list replaces pytest's
    assert collection_paths(tree, {}.get) == ("examples", "pkg", "plugins")  # pytest's own: build, dist, .*
    # folders the project tells pytest to ignore are not named either
    ignoring = {"setup.cfg": "[tool:pytest]\naddopts = -rA --ignore=plugins --ignore-glob=exam*\n"}
    assert collection_paths([*tree, *ignoring], ignoring.get) == ("pkg",)
    conftest = {"conftest.py": "collect_ignore = ['plugins']\ncollect_ignore_glob = ['examples']\n"}
    assert collection_paths([*tree, *conftest], conftest.get) == ("pkg",)
    # a config pytest takes but that cannot be read here: pytest's own choice, the whole tree
    broken = {"pytest.ini": "[pytest]\nnorecursedirs = a\nnorecursedirs = b\n"}
    assert collection_paths([*tree, *broken], broken.get) == ()
    # a spec's test_file_patterns decide which modules are tests
    assert collection_paths(["src/pkg/checks/test_a.py", "pkg/tests/test_b.py"], {}.get, ["src/**"]) == (
        "src",
    )
