"""Drafting a spec from a real git repository, read statically at one commit."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from swegym_build.errors import GitError
from swegym_build.specs import draft_spec, load_spec_file, write_draft


def git(repo: Path, *args: str, date: str = "2023-06-01T12:00:00+00:00") -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": str(repo),
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit_files(repo: Path, files: dict[str, str], date: str = "2023-06-01T12:00:00+00:00") -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change", date=date)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


SETUP_CFG_PROJECT = {
    "setup.cfg": """\
        [metadata]
        name = widget
        classifiers =
            Programming Language :: Python :: 3.8
            Programming Language :: Python :: 3.9
            Programming Language :: Python :: 3.10

        [options]
        python_requires = >=3.8

        [options.extras_require]
        test = pytest>=7; coverage
        docs = sphinx
        """,
    "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
    "tox.ini": """\
        [tox]
        envlist = py38

        [testenv]
        deps =
            -r{toxinidir}/requirements-test.txt
            hypothesis
        commands = pytest {posargs}
        """,
    "requirements-test.txt": "pytest\nfreezegun\n",
    "requirements/docs.txt": "sphinx\n",
    "widget/__init__.py": "raise SystemExit('repository code must never run')\n",
    "tests/test_widget.py": "def test_ok():\n    assert True\n",
    ".github/workflows/ci.yml": """\
        on: [push]
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python-version: [3.8, 3.11]
            steps:
              - run: sudo apt-get install -y libxml2-dev
              - run: pip install -r requirements-test.txt
              - run: pytest
        """,
}


def test_draft_from_setup_cfg_tox_and_workflow(repo: Path, tmp_path: Path) -> None:
    commit = commit_files(repo, SETUP_CFG_PROJECT)
    spec = draft_spec(repo, commit, "acme/widget")
    recipe = spec.for_version("4.2")
    # The CI matrix says what was tested at the commit; it wins over classifiers, which lag.
    assert recipe.python == "3.11"
    assert "CI matrix" in spec.provenance["python"]
    assert (recipe.test_cmd, recipe.log_parser) == ("pytest -rA", "pytest")
    assert recipe.install == (
        "python -m pip install -r requirements-test.txt",
        "python -m pip install -e '.[test]'",
    )
    assert "hypothesis" in recipe.pip_packages
    assert recipe.apt_packages == ("libxml2-dev",)

    out = tmp_path / "drafts" / "acme__widget.yaml"
    write_draft(spec, out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# DRAFT spec for acme/widget")
    assert "#   python: .github/workflows/ci.yml CI matrix" in text
    reloaded = load_spec_file(out).for_version("1.0")
    assert reloaded == recipe


def test_draft_reads_a_bare_mirror_and_only_the_given_commit(repo: Path, tmp_path: Path) -> None:
    old = commit_files(
        repo,
        {
            "setup.py": "from setuptools import setup\nsetup(name='w', python_requires='>=3.6')\n",
            "test_w.py": "import unittest\n",
            "Makefile": "test:\n\tpython -m unittest discover -v\n",
            "noxfile.py": "def tests(session):\n    session.run('python', '-m', 'unittest', 'discover')\n",
        },
        date="2020-02-01T00:00:00+00:00",
    )
    commit_files(repo, {"pytest.ini": "[pytest]\n"})
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(mirror)], check=True)

    spec = draft_spec(mirror, old, "acme/w")
    recipe = spec.for_version("0.1")
    # no classifiers: the newest Python out for a year in Feb 2020 is 3.7, within >=3.6; the
    # nearest the base images provide is 3.9
    assert recipe.python == "3.9"
    assert "3.7 wanted" in spec.provenance["python"]
    assert (recipe.test_cmd, recipe.log_parser) == ("python -m unittest discover -v", "unittest")
    assert recipe.install == ("python -m pip install -e .",)
    out = tmp_path / "w.yaml"
    write_draft(spec, out.with_name("acme__w.yaml"))
    assert load_spec_file(out.with_name("acme__w.yaml")).for_version("0.1") == recipe


def test_python_requires_upper_bound_is_respected(repo: Path) -> None:
    commit = commit_files(
        repo,
        {
            "pyproject.toml": (
                '[project]\nname = "w"\nrequires-python = ">=3.7,<3.9"\n[tool.pytest.ini_options]\n'
            )
        },
        date="2024-06-01T00:00:00+00:00",
    )
    recipe = draft_spec(repo, commit, "acme/w").for_version("1.0")
    assert recipe.python == "3.8"
    assert recipe.log_parser == "pytest"


def test_unknown_commit_is_a_git_error(repo: Path) -> None:
    commit_files(repo, {"setup.py": "\n"})
    with pytest.raises(GitError, match="deadbeef"):
        draft_spec(repo, "deadbeef", "acme/w")
