import subprocess
from pathlib import Path

import pytest

from swegym_build.images.base_image import BaseImage
from swegym_build.images.tiers import EnvRecipe, install_steps, pip_constraints, project_installs


@pytest.mark.parametrize(
    "command",
    [
        "python -m pip install -e .",
        "pip install -e '.[test,dev]'",
        'pip install -e ".[all]"',
        "python -m pip install .",
        "pip install --editable .",
        "python setup.py develop",
        "python -m pip install -e . --no-build-isolation",
    ],
)
def test_installs_of_the_project_itself_are_rerun_by_an_instance(command: str) -> None:
    assert project_installs([command]) == [command]


@pytest.mark.parametrize(
    "command",
    [
        "python -m pip install -r requirements/tests.txt",
        "pip install numpy==1.26 'pytest<8'",
        "python -m pip install -r requirements-dev.txt",
        "apt-get install -y libxml2-dev",
        "pip install ./vendored/dependency",
    ],
)
def test_dependency_installs_stay_in_the_env_tier(command: str) -> None:
    assert project_installs([command]) == []


def _run_steps(commands: list[str], folder: Path) -> int:
    script = "set -euxo pipefail\n" + "\n".join(install_steps(commands)) + "\ntouch finished\n"
    return subprocess.run(["bash", "-c", script], cwd=folder, capture_output=True).returncode


def test_a_failing_command_inside_an_and_list_stops_the_install(tmp_path: Path) -> None:
    # bash's `set -e` alone goes on after `npm ci` fails here, in the wrong folder
    (tmp_path / "bokehjs").mkdir()
    assert _run_steps(["cd bokehjs && false && cd ..", "touch wrong-folder"], tmp_path) == 1
    assert not list(tmp_path.rglob("wrong-folder")) and not list(tmp_path.rglob("finished"))


def test_install_steps_keep_their_folder_and_their_fallbacks(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    commands = ["cd sub && touch inside && cd ..", "false || true", "touch outside"]
    assert _run_steps(commands, tmp_path) == 0
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["finished", "inside", "outside"]
    assert (tmp_path / "outside").exists()


def test_setuptools_stays_below_81_in_every_pip_run_unless_the_spec_says_otherwise() -> None:
    assert pip_constraints(["numpy<2"]) == ["numpy<2", "setuptools<81"]
    assert pip_constraints(["setuptools==59.6.0"]) == ["setuptools==59.6.0"]
    assert pip_constraints(["setuptools-scm<8"]) == ["setuptools-scm<8", "setuptools<81"]


BASE = BaseImage(
    "swegym-build-base:t", "sha256:" + "1" * 64, "bookworm", {"3.11": "/usr/bin/python3.11"}, 0, False
)


def _env(version: str = "1.0", **config: object) -> EnvRecipe:
    install_config = {"python": "3.11", "install": ["python -m pip install -e ."], "test_cmd": "pytest",
                      "log_parser": "pytest", "exclude_newer": "2024-01-01T00:00:00Z", **config}  # fmt: skip
    return EnvRecipe("acme/x", version, "a" * 40, install_config, BASE)


def test_envs_that_differ_in_install_commands_or_cutoff_share_their_prep_image() -> None:
    # what a verification loop's attempts change: the install, extras, requirements files
    drafted, plain = _env(), _env(install=["python -m pip install ."])
    later = _env("2.0", exclude_newer="2025-01-01T00:00:00Z", pip_packages=["pytest"])
    assert drafted.prep.tag == plain.prep.tag == later.prep.tag
    assert len({drafted.tag, plain.tag, later.tag}) == 3
    assert later.cutoff_env == {"PIP_UPLOADED_PRIOR_TO": "2025-01-01T00:00:00Z",
                                "UV_EXCLUDE_NEWER": "2025-01-01T00:00:00Z"}  # fmt: skip


def test_debian_packages_and_pip_constraints_make_another_prep_image() -> None:
    tags = {_env().prep.tag, _env(apt_packages=["default-jre-headless"]).prep.tag,
            _env(pip_constraints=["setuptools<60"]).prep.tag}  # fmt: skip
    assert len(tags) == 3
    assert "default-jre-headless" in _env(apt_packages=["default-jre-headless"]).prep.files["swegym/apt.sh"]
