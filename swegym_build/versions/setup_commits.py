"""`environment_setup_commit`: one commit per (repository, version) to build its environment at."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from swegym_build.records import TaskInstance, parse_created_at


def select_environment_setup_commits(instances: Iterable[TaskInstance]) -> dict[tuple[str, str], str]:
    """Map `(repo, version)` to the base commit of that version's newest instance (by `created_at`).

    SWE-bench's rule: the newest instance's dependencies are the most demanding, so an environment
    built there serves the older instances of the same version too. Instances without a version
    are skipped. Ties on `created_at` go to the higher pull number, so the choice is stable.
    """
    newest: dict[tuple[str, str], tuple[datetime, int, str]] = {}
    for instance in instances:
        if instance.version is None:
            continue
        key = (instance.repo, instance.version)
        candidate = (parse_created_at(instance.created_at), instance.pull_number, instance.base_commit)
        if key not in newest or candidate[:2] > newest[key][:2]:
            newest[key] = candidate
    return {key: commit for key, (_, _, commit) in newest.items()}
