"""From per-run test statuses to a verdict: FAIL_TO_PASS, PASS_TO_PASS, flaky tests, keep or reject.

A test counts as failing on a side when it failed, errored, was skipped or was absent (its file
did not import before the fix), as in SWE-bench. It is flaky when its outcome differs between
runs of the same side; flaky tests are reported and kept out of every other list. A test that is
XFAIL or XPASS on any side goes to `xfail_tests` alone: SWE-bench keeps expected failures out of
PASS_TO_PASS, and an XPASS after the fix is a failure by its rules, so neither is a clean signal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from swegym_build.state import KEPT
from swegym_build.validate.parsers import TestStatus, is_pass

_EXPECTED_FAILURE = (TestStatus.XFAIL, TestStatus.XPASS)

NO_FAIL_TO_PASS = "no_fail_to_pass"
PASS_TO_FAIL = "pass_to_fail"
FLAKY_ONLY = "flaky_only"
ENV_BROKEN = "env_broken"

Statuses = Mapping[str, TestStatus]


@dataclass(frozen=True)
class RunStatuses:
    before: Statuses
    after: Statuses


@dataclass
class Verdict:
    reason: str
    FAIL_TO_PASS: list[str] = field(default_factory=list)
    PASS_TO_PASS: list[str] = field(default_factory=list)
    PASS_TO_FAIL: list[str] = field(default_factory=list)
    FAIL_TO_FAIL: list[str] = field(default_factory=list)
    flaky_tests: list[str] = field(default_factory=list)
    xfail_tests: list[str] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        return self.reason == KEPT


def judge(runs: Sequence[RunStatuses]) -> Verdict:
    """The verdict over every run (each with both sides); `runs` must not be empty."""
    if not any(run.after for run in runs):
        return Verdict(ENV_BROKEN)
    tests = sorted({test for run in runs for side in (run.before, run.after) for test in side})
    verdict = Verdict(KEPT)
    for test in tests:
        if any(side.get(test) in _EXPECTED_FAILURE for run in runs for side in (run.before, run.after)):
            verdict.xfail_tests.append(test)
            continue
        before = {is_pass(run.before.get(test)) for run in runs}
        after = {is_pass(run.after.get(test)) for run in runs}
        if len(before) > 1 or len(after) > 1:
            verdict.flaky_tests.append(test)
            continue
        passed_before, passed_after = before.pop(), after.pop()
        {
            (False, True): verdict.FAIL_TO_PASS,
            (True, True): verdict.PASS_TO_PASS,
            (True, False): verdict.PASS_TO_FAIL,
            (False, False): verdict.FAIL_TO_FAIL,
        }[(passed_before, passed_after)].append(test)
    if verdict.PASS_TO_FAIL:
        verdict.reason = PASS_TO_FAIL
    elif not verdict.FAIL_TO_PASS:
        verdict.reason = FLAKY_ONLY if verdict.flaky_tests else NO_FAIL_TO_PASS
    return verdict
