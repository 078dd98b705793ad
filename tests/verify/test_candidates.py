"""Candidate recipes from a recipe and the drafting facts of a real (generated) git history, and
the loop's limits; what building and collecting do is tested through the engine in
test_verify_build.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swegym_build.verify.candidates import DraftFacts, candidate_digest, candidates, read_facts
from swegym_build.verify.collection import CollectionCheck
from swegym_build.verify.loop import AttemptFailed, EnvVerification, VerifyLimits, verify_env
from tests.versions.githistory import GitHistory

SETUP_CFG = """\
[metadata]
name = widget
classifiers =
    Programming Language :: Python :: 3.9
    Programming Language :: Python :: 3.11
    Programming Language :: Python :: 3.13
[options]
python_requires = >=3.9
[options.extras_require]
test = pytest
yaml = pyyaml
docs = sphinx
"""
RECIPE: dict[str, Any] = {
    "repo": "acme/widget", "version_key": "*", "python": "3.11", "python_requested": "3.11",
    "apt_packages": [], "pre_install": [],
    "install": ["python -m pip install -e '.[test]' -c constraints.txt"],
    "pip_packages": ["pytest"], "pip_constraints": [], "test_cmd": "python -m pytest -rA",
    "log_parser": "pytest", "env": {}, "exclude_newer": "2024-01-01T00:00:00Z",
}  # fmt: skip


def _history(path: Path) -> tuple[GitHistory, str]:
    history = GitHistory(path)
    commit = history.commit(
        {
            "setup.cfg": SETUP_CFG,
            "setup.py": "from setuptools import setup\nsetup()\n",
            "requirements-dev.txt": "freezegun\n",
            "docs/requirements.txt": "sphinx\n",
            "requirements/test.txt": "hypothesis\n",
        },
        date="2024-01-01T00:00:00Z",
    )
    return history, commit


def _labels(found: list[Any]) -> list[str]:
    return [c.label for c in found]


def test_candidates_follow_the_drafting_facts_in_a_fixed_order(tmp_path: Path) -> None:
    history, commit = _history(tmp_path / "widget.git")
    facts = read_facts(history.path, commit, lambda v: v in ("3.9", "3.11", "3.13"))
    assert facts == DraftFacts(("docs", "test", "yaml"), ("requirements-dev.txt", "requirements/test.txt"),
                               ("3.9", "3.11", "3.13"))  # fmt: skip
    found = candidates(RECIPE, facts)
    assert _labels(found) == [
        "as drafted",
        "with extra docs",
        "with extra yaml",
        "with requirements file requirements-dev.txt",
        "with requirements file requirements/test.txt",
        "plain install (python -m pip install '.[test]' -c constraints.txt)",
        "Python 3.9",
        "Python 3.13",
        "without extra test",
        "test command 'pytest -rA'",
    ]
    by_label = {c.label: c.install_config for c in found}
    assert by_label["with extra yaml"]["install"] == [
        "python -m pip install -e '.[test,yaml]' -c constraints.txt"
    ]
    assert by_label["with requirements file requirements-dev.txt"]["install"] == [
        "python -m pip install -r requirements-dev.txt -c constraints.txt",
        *RECIPE["install"],
    ]
    assert by_label["without extra test"]["install"] == ["python -m pip install -e . -c constraints.txt"]
    assert by_label["Python 3.9"]["python"] == "3.9"
    # each candidate changes one thing; nothing else in the recipe moves
    for config in by_label.values():
        changed = {k for k in RECIPE if config[k] != RECIPE[k]}
        assert len(changed) <= 1, changed


def test_pythons_newer_than_the_commit_are_not_tried_beyond_the_next_one(tmp_path: Path) -> None:
    # a 2021 project bounded only below (modin 0.9: `>=3.7.1`) met neither 3.13 nor 3.14
    history = GitHistory(tmp_path / "old.git")
    commit = history.commit({"setup.py": "from setuptools import setup\nsetup(python_requires='>=3.7.1')\n"},
                            date="2021-03-01T00:00:00Z")  # fmt: skip
    facts = read_facts(history.path, commit, lambda v: v in ("3.9", "3.11", "3.13", "3.14"))
    assert facts.pythons == ("3.9", "3.11")  # 3.11 (2022): the nearest newer, should 3.9 fail
    found = _labels(candidates({**RECIPE, "python": "3.9"}, facts))
    assert "Python 3.11" in found and not any(label.startswith("Python 3.1") and label != "Python 3.11"
                                              for label in found)  # fmt: skip


def test_the_same_inputs_give_the_same_candidates(tmp_path: Path) -> None:
    one, commit_one = _history(tmp_path / "one.git")
    two, commit_two = _history(tmp_path / "two.git")
    assert commit_one == commit_two  # fixed dates and identity: the same history
    providable = {"3.9", "3.11", "3.13"}.__contains__
    first = candidates(RECIPE, read_facts(one.path, commit_one, providable))
    second = candidates(RECIPE, read_facts(two.path, commit_two, providable))
    assert first == second
    assert candidate_digest(first, commit_one) == candidate_digest(second, commit_two)
    assert candidate_digest(first, commit_one) != candidate_digest(first[:-1], commit_one)


def test_a_plain_install_gets_an_editable_candidate_and_no_duplicates() -> None:
    recipe = {**RECIPE, "install": ["python -m pip install ."], "test_cmd": "pytest -rA"}
    found = candidates(recipe, DraftFacts(extras=("test",)))
    assert _labels(found) == [
        "as drafted",
        "with extra test",
        "editable install (python -m pip install -e .)",
        "test command 'python -m pytest -rA'",
    ]


def _check(verified: bool) -> CollectionCheck:
    return CollectionCheck(
        "collected" if verified else "collection_errors", 3, 0 if verified else 1, 0, "log"
    )


def _run(limits: VerifyLimits, works: set[str], clock: list[float], tmp_path: Path) -> EnvVerification:
    found = candidates(RECIPE, DraftFacts(extras=("yaml",), pythons=("3.9", "3.11")))

    def build(candidate: Any, log: Path, left: float) -> str:
        clock[0] += 600  # ten minutes an attempt
        if candidate.label == "with extra yaml":
            raise AttemptFailed("env_build_failed", "pip said no")
        return str(candidate.label)

    def collect(env: str, candidate: Any, log: Path) -> CollectionCheck:
        return _check(env in works)

    return verify_env("acme/widget", "1.0", "drafted", found, build, collect, tmp_path, limits,
                      clock=lambda: clock[0]).verification  # fmt: skip


def test_the_loop_stops_at_the_first_verified_candidate(tmp_path: Path) -> None:
    record = _run(VerifyLimits(6, 120), {"Python 3.9"}, [0.0], tmp_path)
    assert [(a.label, a.outcome) for a in record.attempts] == [
        ("as drafted", "collection_errors"),
        ("with extra yaml", "env_build_failed"),
        ("plain install (python -m pip install '.[test]' -c constraints.txt)", "collection_errors"),
        ("Python 3.9", "verified"),
    ]
    assert record.status == "verified" and record.recipe is not None and record.recipe["python"] == "3.9"
    assert EnvVerification.from_dict(record.to_dict()) == record


def test_after_a_failed_install_with_no_cure_installing_more_is_tried_last(tmp_path: Path) -> None:
    found = candidates(RECIPE, DraftFacts(extras=("yaml",), pythons=("3.9", "3.11")))

    def build(candidate: Any, log: Path, left: float) -> str:
        if candidate.install_config["python"] != "3.9":
            raise AttemptFailed("env_build_failed", "a wheel did not build")
        return str(candidate.label)

    def collect(env: str, candidate: Any, log: Path) -> CollectionCheck:
        return _check(True)

    record = verify_env("acme/widget", "1.0", "drafted", found, build, collect, tmp_path, VerifyLimits(3, 60))
    assert [(a.label, a.outcome) for a in record.verification.attempts] == [
        ("as drafted", "env_build_failed"),
        ("plain install (python -m pip install '.[test]' -c constraints.txt)", "env_build_failed"),
        ("Python 3.9", "verified"),
    ]
    # a collection failure leaves the order as it is: a test dependency an extra installs comes first
    assert _run(VerifyLimits(6, 120), {"with extra yaml"}, [0.0], tmp_path / "kept").attempts[1].label == (
        "with extra yaml"
    )


@pytest.mark.parametrize(
    ("limits", "attempts", "stopped"),
    [(VerifyLimits(2, 120), 2, "max attempts (2)"), (VerifyLimits(9, 25), 3, "time limit (25 min)")],
)
def test_the_loop_keeps_to_its_limits(
    tmp_path: Path, limits: VerifyLimits, attempts: int, stopped: str
) -> None:
    record = _run(limits, set(), [0.0], tmp_path)
    assert (record.status, len(record.attempts), record.stopped) == ("failed", attempts, stopped)
