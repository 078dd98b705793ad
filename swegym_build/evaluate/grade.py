"""One prediction graded: the model's patch, the task's tests, SWE-bench's verdict.

Each run is a fresh container of the task's image with validate's containment (no network,
limits, root only for patching, the tests as the unprivileged user, output and exit status taken
from the container, the closing summary and the static collection checked). The model's patch is
applied first; every file the test patch touches and every test-configuration file the model
edited is then put back as it is at the base commit, and the test patch applied, so the tests
that run are the task's (the model edits are reported as `tampered_tests`). Resolved means every
FAIL_TO_PASS and PASS_TO_PASS test passes, in every run (SWE-bench's `pass_and_fail`).
"""

from __future__ import annotations

import json
import posixpath
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import docker

from swegym_build.containment import ContainerLimits
from swegym_build.dockerio import engine_client
from swegym_build.errors import ValidationError
from swegym_build.records import TaskInstance, TestCases
from swegym_build.validate.cases import is_case_file, listed_cases
from swegym_build.validate.checks import check_task_side
from swegym_build.validate.evalscript import MODEL_PATCH, TEST_PATCH, render_grading_script
from swegym_build.validate.parsers import is_pass
from swegym_build.validate.runner import (
    SELF_KILL_GRACE,
    Markers,
    SideRequest,
    prepare_side,
    run_side,
)
from swegym_build.validate.safety import check_patch, touched_files

# Files that configure how the tests run: a model that edits them could change the verdict.
TEST_CONFIG_NAMES = ("conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "noxfile.py")
RESOLVED = "resolved"
UNRESOLVED = "unresolved"
EMPTY_PATCH = "empty_patch"


@dataclass
class Report:
    """SWE-bench's per-instance report, plus why and what was tampered with."""

    instance_id: str
    model_name_or_path: str = ""
    patch_is_None: bool = False  # SWE-bench's field name
    patch_exists: bool = True
    patch_successfully_applied: bool = False
    resolved: bool = False
    reason: str = UNRESOLVED  # resolved / unresolved / empty_patch / patch_apply_failed / a side failure
    detail: str = ""
    tampered_tests: list[str] = field(default_factory=list)
    tests_status: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the grading
    test_seconds: float = 0.0  # of it, the test command's own run time

    def to_swebench(self) -> dict[str, Any]:
        """`report.json` as SWE-bench writes it: `{instance_id: {...}}`."""
        keys = ("patch_is_None", "patch_exists", "patch_successfully_applied", "resolved", "tests_status")
        entry = {key: getattr(self, key) for key in keys}
        entry["tampered_tests"] = self.tampered_tests
        return {self.instance_id: entry}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _list(value: Any) -> list[str]:
    return list(json.loads(value)) if isinstance(value, str) else list(value or [])


def instance_from_row(row: dict[str, Any]) -> tuple[TaskInstance, str]:
    """A dataset row (published: list columns as JSON text) or a validated row -> (instance, image)."""
    config = row.get("install_config")
    instance = TaskInstance(
        repo=row["repo"],
        instance_id=row["instance_id"],
        base_commit=row.get("base_commit", ""),
        patch=row.get("patch", ""),
        test_patch=row["test_patch"],
        problem_statement=row.get("problem_statement", ""),
        hints_text=row.get("hints_text", ""),
        created_at=row.get("created_at", ""),
        pull_number=int(row.get("pull_number") or 0),
        issue_numbers=[int(n) for n in _list(row.get("issue_numbers"))],
        FAIL_TO_PASS=_list(row.get("FAIL_TO_PASS")),
        PASS_TO_PASS=_list(row.get("PASS_TO_PASS")),
        install_config=json.loads(config) if isinstance(config, str) else config,
    )
    image = row.get("image_name") or row.get("image")
    if not image:
        raise ValidationError(f"{instance.instance_id}: the row names no image (image_name)")
    return instance, str(image)


def tampered_files(model_patch: str, test_patch: str, test_cases: TestCases | None = None) -> list[str]:
    """The files the model's patch edits that the grading must not take from it: the test patch's
    files, test configuration, and the spec's case files (a case the model adds elsewhere under a
    task case's name would be one more test of that name)."""
    protected = set(touched_files(test_patch))
    return [
        path
        for path in touched_files(model_patch)
        if path in protected
        or posixpath.basename(path) in TEST_CONFIG_NAMES
        or is_case_file(path, test_cases)
    ]


def grade(
    row: dict[str, Any],
    patch: str | None,
    *,
    model: str = "",
    runs: int = 1,
    limits: ContainerLimits | None = None,
    client: docker.DockerClient | None = None,
) -> Report:
    """Grade one prediction for one dataset row: one call, one verdict (`report.resolved`)."""
    instance, image = instance_from_row(row)
    return grade_instance(instance, image, patch, model=model, runs=runs, limits=limits, client=client)


def grade_instance(
    instance: TaskInstance,
    image: str,
    patch: str | None,
    *,
    model: str = "",
    runs: int = 1,
    limits: ContainerLimits | None = None,
    client: docker.DockerClient | None = None,
) -> Report:
    started = time.monotonic()
    report = Report(
        instance.instance_id, model, patch_is_None=patch is None, patch_exists=bool(patch and patch.strip())
    )
    if patch is None or not report.patch_exists:
        report.reason, report.detail = EMPTY_PATCH, "the prediction has no patch"
        return report
    try:
        check_patch(instance.instance_id, "model_patch", patch)
    except ValidationError as error:
        report.reason, report.detail = "unsafe_patch", str(error)
        return report
    limits = limits or ContainerLimits()
    client = client or engine_client(check=False)
    config = instance.config
    report.tampered_tests = tampered_files(patch, instance.test_patch, config.test_cases)
    restored = sorted(set(report.tampered_tests) | set(touched_files(instance.test_patch)))
    passed: dict[str, bool] = {}
    enclosing = listed_cases(instance.FAIL_TO_PASS + instance.PASS_TO_PASS, config.test_cases)
    for _ in range(runs):
        markers = Markers.new()
        self_kill = int(limits.timeout) + SELF_KILL_GRACE
        script = render_grading_script(
            config, instance.test_patch, patch, restored, markers, self_kill, enclosing
        )
        request = SideRequest(
            "graded", script, {MODEL_PATCH: patch, TEST_PATCH: instance.test_patch}, markers
        )
        prepared = prepare_side(client, image, instance.instance_id, request, limits)
        result = run_side(prepared, instance.instance_id, limits.timeout)
        report.test_seconds += result.test_seconds
        if result.failure:
            report.reason, report.detail = result.failure, result.setup_log[-2000:]
            report.patch_successfully_applied = result.failure != "patch_apply_failed"
            break
        report.patch_successfully_applied = True
        check = check_task_side(
            config, instance.test_patch, result.log, result.exit_code, result.files, enclosing
        )
        if check.problem or check.phantoms:
            report.reason = check.problem or "phantom_tests"
            report.detail = check.detail or f"phantom test ids: {', '.join(check.phantoms)}"
            break
        for test in instance.FAIL_TO_PASS + instance.PASS_TO_PASS:
            passed[test] = passed.get(test, True) and is_pass(check.statuses.get(test))
    else:
        report.resolved = all(passed.values()) and bool(instance.FAIL_TO_PASS)
        report.reason = RESOLVED if report.resolved else UNRESOLVED
    report.tests_status = {
        name: {
            "success": [t for t in tests if passed.get(t)],
            "failure": [t for t in tests if not passed.get(t)],
        }
        for name, tests in (("FAIL_TO_PASS", instance.FAIL_TO_PASS), ("PASS_TO_PASS", instance.PASS_TO_PASS))
    }
    report.seconds = round(time.monotonic() - started, 3)
    report.test_seconds = round(report.test_seconds, 3)
    return report
