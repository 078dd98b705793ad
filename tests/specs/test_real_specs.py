"""Every spec shipped in specs/ loads, validates and resolves to a runnable recipe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swegym_build.specs import load_spec, load_spec_file, validate_all
from swegym_build.specs.loader import default_specs_dir
from swegym_build.testpaths import is_test_path

SPECS_DIR = Path(__file__).resolve().parents[2] / "specs"
SPEC_FILES = sorted(SPECS_DIR.glob("*.yaml"))
SWEGYM_REPOS = [
    "getmoto/moto",
    "Project-MONAI/MONAI",
    "pandas-dev/pandas",
    "python/mypy",
    "dask/dask",
    "iterative/dvc",
    "conan-io/conan",
    "pydantic/pydantic",
    "facebookresearch/hydra",
    "bokeh/bokeh",
    "modin-project/modin",
]


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.stem for p in SPEC_FILES])
def test_spec_file_loads_and_every_entry_is_runnable(path: Path) -> None:
    spec = load_spec_file(path)
    assert path.read_text(encoding="utf-8").startswith("#"), (
        "each spec starts with a comment naming its sources"
    )
    for entry in spec.entries:
        config = entry.spec.to_install_config(exclude_newer="2022-01-01T00:00:00Z")
        assert json.loads(json.dumps(config)) == config
        assert config["python"].startswith(("2.", "3."))
        assert config["test_cmd"]


def test_all_swegym_repositories_and_the_sample_have_specs() -> None:
    repos = {spec.repo for spec in validate_all(SPECS_DIR)}
    assert set(SWEGYM_REPOS) | {"swegym-demo/calculator"} <= repos


def test_default_specs_dir_is_the_checkout_specs_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWEGYM_SPECS_DIR", raising=False)
    assert default_specs_dir() == SPECS_DIR


@pytest.mark.parametrize(
    ("repo", "version", "python"),
    [
        ("getmoto/moto", "1.3", "3.7"),
        ("getmoto/moto", "4.2", "3.11"),
        ("getmoto/moto", "5.0", "3.12"),
        ("python/mypy", "0.910", "3.9"),
        ("python/mypy", "0.921", "3.9"),
        ("python/mypy", "0.990", "3.10"),
        ("python/mypy", "1.4", "3.11"),
        ("python/mypy", "1.11", "3.12"),
        ("pydantic/pydantic", "1.10", "3.7"),
        ("pydantic/pydantic", "2.7", "3.8"),
        ("dask/dask", "2.30", "3.8"),
        ("dask/dask", "2021.03", "3.9"),
        ("dask/dask", "2024.5", "3.12"),
        ("pandas-dev/pandas", "2.1", "3.11"),
        ("iterative/dvc", "0.93", "3.8"),
        ("iterative/dvc", "3.49", "3.10"),
    ],
)
def test_known_versions_resolve_to_the_documented_python(repo: str, version: str, python: str) -> None:
    spec = load_spec(repo, SPECS_DIR)
    assert spec is not None
    assert spec.for_version(version).python == python


def test_the_sample_spec_matches_the_bundled_repository() -> None:
    spec = load_spec("swegym-demo/calculator", SPECS_DIR)
    assert spec is not None
    for version in ("0.1", "0.2"):
        recipe = spec.for_version(version)
        assert (recipe.python, recipe.test_cmd, recipe.log_parser) == ("3.11", "pytest -rA", "pytest")
        assert recipe.install == ("python -m pip install -e .",)
        assert "pytest" in recipe.pip_packages
    # The generic version rules read calculator/__init__.py: the sample needs no override.
    assert spec.version_override_fields() == {"version_file": None, "pattern": None, "tag_pattern": None}


def test_conan_2_0_keeps_the_cython_pin_while_later_2_x_does_not() -> None:
    spec = load_spec("conan-io/conan", SPECS_DIR)
    assert spec is not None
    assert spec.for_version("2.0").pip_constraints == ("cython<3",)
    assert spec.for_version("2.1").pip_constraints == ()


def test_mypy_test_data_files_count_as_tests() -> None:
    spec = load_spec("python/mypy", SPECS_DIR)
    assert spec is not None
    assert is_test_path("test-data/unit/check-classes.test", spec.test_file_patterns) is True
    assert is_test_path("mypy/checker.py", spec.test_file_patterns) is False
