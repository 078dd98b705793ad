"""The versions stage settles each environment's Python: the spec's, the nearest the project allows, or none.

Generated repositories and specs; the uv provider is off (`--python-mirror off`), so the Pythons
that exist are Debian's: 3.9, 3.11, 3.13 and 3.14.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from swegym_build.jsonl import read_jsonl, write_jsonl_atomically
from swegym_build.pythons.uv_python import PythonDownloads
from swegym_build.state import StateStore
from swegym_build.versions.python_choice import ProjectPythons, project_pythons
from swegym_build.versions.stage import NO_PYTHON, PythonOptions, VersionsSummary, run_versions
from swegym_build.workspace import Workspace
from tests.versions.githistory import GitHistory, raw_row

REPO = "acme/widget"
DEBIAN_ONLY = PythonDownloads(mirror="off")


def _spec(folder: Path, python: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "acme__widget.yaml").write_text(
        f'repo: {REPO}\nversions:\n  "1.0+":\n    python: "{python}"\n'
        "    install: [python -m pip install -e .]\n    test_cmd: pytest\n    log_parser: pytest\n"
    )


def _project(workspace: Workspace, files: dict[str, str]) -> None:
    """Two instances of version 1.2 whose packaging files are `files`."""
    history = GitHistory(workspace.mirror_dir(REPO))
    rows = []
    for number, day in ((1, "2024-03-01"), (2, "2024-03-05")):
        commit = history.commit(
            {**files, "widget/__init__.py": f"__version__ = '1.2.{number}'\n"}, date=f"{day}T10:00:00Z"
        )
        rows.append(raw_row(REPO, number, commit, day))
    write_jsonl_atomically(workspace.raw_file(REPO), rows)


def _run(workspace: Workspace, fallback: str = "nearest") -> tuple[VersionsSummary, StateStore]:
    state = StateStore(workspace.state_db)
    options = PythonOptions(fallback, DEBIAN_ONLY)  # type: ignore[arg-type]
    return run_versions(workspace, state, python=options), state


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "specs"
    monkeypatch.setenv("SWEGYM_SPECS_DIR", str(folder))
    return folder


def _pyproject(requires: str) -> dict[str, str]:
    return {
        "pyproject.toml": f'[project]\nname = "widget"\ndynamic = ["version"]\n'
        f'requires-python = "{requires}"\n'
    }


def test_a_missing_python_becomes_the_nearest_the_project_allows(workspace: Workspace, specs: Path) -> None:
    _spec(specs, "3.12")
    _project(workspace, _pyproject(">=3.11,<3.14"))

    summary, _ = _run(workspace)

    rows = list(read_jsonl(workspace.versioned_file(REPO)))
    assert [row["install_config"]["python"] for row in rows] == ["3.11", "3.11"]  # nearest; older on a tie
    assert [row["install_config"]["python_requested"] for row in rows] == ["3.12", "3.12"]
    assert list(summary.substitutions) == [(REPO, "1.2")]  # counted once per environment
    reason = summary.substitutions[(REPO, "1.2")].reason
    assert "requires-python '>=3.11,<3.14'" in reason and "Debian bookworm" in reason


def test_a_python_the_project_rules_out_is_never_chosen(workspace: Workspace, specs: Path) -> None:
    _spec(specs, "3.12")
    _project(workspace, _pyproject(">=3.12"))
    _run(workspace)
    assert {row["install_config"]["python"] for row in read_jsonl(workspace.versioned_file(REPO))} == {"3.13"}


def test_no_available_python_the_project_allows_is_one_no_python_rejection(
    workspace: Workspace, specs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _spec(specs, "3.12")
    _project(workspace, _pyproject("==3.12.*"))

    with caplog.at_level(logging.WARNING):
        summary, state = _run(workspace)

    assert summary.outcomes == {NO_PYTHON: 2}
    assert list(read_jsonl(workspace.versioned_file(REPO))) == []
    assert list(summary.no_python) == [(REPO, "1.2")]
    warnings = [r.getMessage() for r in caplog.records if NO_PYTHON in r.getMessage()]
    assert len(warnings) == 1  # one line per (repo, version), not per instance
    assert "requires-python '==3.12.*'" in warnings[0] and "allowed: 3.12" in warnings[0]
    rejected = [r for r in state.records("versions") if r.reason == NO_PYTHON]
    assert sorted(r.instance_id for r in rejected) == ["acme__widget-1", "acme__widget-2"]


def _setup_py(classifiers: tuple[str, ...], requires: str | None = None) -> dict[str, str]:
    listed = "".join(f"'Programming Language :: Python :: {v}', " for v in classifiers)
    bound = f"python_requires='{requires}', " if requires else ""
    return {
        "setup.py": f"from setuptools import setup\nsetup(name='widget', {bound}classifiers=[{listed}])\n"
    }


def test_when_no_listed_python_can_be_had_the_nearest_beyond_the_classifiers_is_tried(
    workspace: Workspace, specs: Path
) -> None:
    # A 2020 project whose classifiers stop at 3.8 (none of them is a Debian Python): its
    # classifiers are a claim, not a bound pip enforces, so 3.9 is tried and verification decides.
    _spec(specs, "3.7")
    _project(workspace, _setup_py(("2.7", "3.5", "3.6", "3.7", "3.8")))

    summary, _ = _run(workspace)

    assert summary.no_python == {}
    assert {row["install_config"]["python"] for row in read_jsonl(workspace.versioned_file(REPO))} == {"3.9"}
    reason = summary.substitutions[(REPO, "1.2")].reason
    assert "nearest beyond the classifiers" in reason and "has no requires-python" in reason


def test_beyond_the_classifiers_requires_python_still_bounds_the_choice(
    workspace: Workspace, specs: Path
) -> None:
    _spec(specs, "3.7")
    _project(workspace, _setup_py(("3.7", "3.8"), requires=">=3.7,<3.11"))
    summary, _ = _run(workspace)
    assert {row["install_config"]["python"] for row in read_jsonl(workspace.versioned_file(REPO))} == {"3.9"}
    assert "requires-python '>=3.7,<3.11' alone allows" in summary.substitutions[(REPO, "1.2")].reason


def test_a_requires_python_below_every_provided_python_is_still_no_python(
    workspace: Workspace, specs: Path
) -> None:
    _spec(specs, "3.7")
    _project(workspace, _setup_py(("3.7", "3.8"), requires="<3.9"))
    summary, _ = _run(workspace)
    assert list(summary.no_python) == [(REPO, "1.2")]
    assert "allowed: 3.7, 3.8" in summary.no_python[(REPO, "1.2")].reason


def test_fallback_fail_refuses_any_substitute(workspace: Workspace, specs: Path) -> None:
    _spec(specs, "3.12")
    _project(workspace, _pyproject(">=3.8"))
    summary, _ = _run(workspace, fallback="fail")
    assert summary.outcomes == {NO_PYTHON: 2}
    assert "--python-fallback fail" in summary.no_python[(REPO, "1.2")].reason


def test_an_available_python_is_taken_as_the_spec_asks(workspace: Workspace, specs: Path) -> None:
    _spec(specs, "3.11")
    _project(workspace, _pyproject(">=3.8"))
    summary, _ = _run(workspace)
    assert summary.substitutions == {}
    config = next(iter(read_jsonl(workspace.versioned_file(REPO))))["install_config"]
    assert (config["python"], config["python_requested"]) == ("3.11", "3.11")


def test_a_spec_asking_3_14_gets_debians_3_14(workspace: Workspace, specs: Path) -> None:
    _spec(specs, "3.14")
    _project(workspace, _pyproject(">=3.10"))
    summary, _ = _run(workspace)
    assert summary.substitutions == {} and summary.no_python == {}
    config = next(iter(read_jsonl(workspace.versioned_file(REPO))))["install_config"]
    assert (config["python"], config["python_requested"]) == ("3.14", "3.14")


def test_a_project_that_needs_3_14_falls_back_to_it(workspace: Workspace, specs: Path) -> None:
    _spec(specs, "3.12")
    _project(workspace, _pyproject(">=3.14"))
    summary, _ = _run(workspace)
    assert summary.no_python == {}
    assert {row["install_config"]["python"] for row in read_jsonl(workspace.versioned_file(REPO))} == {"3.14"}
    assert "Debian forky" in summary.substitutions[(REPO, "1.2")].reason


def test_setup_py_bounds_and_classifiers_are_read_statically(tmp_path: Path) -> None:
    history = GitHistory(tmp_path / "repo.git")
    setup_py = (
        "from setuptools import setup\nsetup(name='w', python_requires='>=3.7',\n"
        "  classifiers=['Programming Language :: Python :: 3.8',\n"
        "               'Programming Language :: Python :: 3.10'])\n"
    )
    commit = history.commit({"setup.py": setup_py}, date="2021-01-01T00:00:00Z")
    found = project_pythons(history.path, commit)
    assert found == ProjectPythons(">=3.7", ("3.8", "3.10"), f"setup.py at {commit[:12]}")
    assert [found.allows(v) for v in ("3.7", "3.8", "3.9", "3.10")] == [False, True, False, True]
    expected = f"requires-python '>=3.7' and classifiers 3.8, 3.10 (setup.py at {commit[:12]})"
    assert found.description == expected
