"""Rate limits, server faults and bad input, through PyGithub and real HTTP to the fake GitHub."""

from __future__ import annotations

import logging
import time

import pytest

from swegym_build.errors import NotFound, RateLimited, Unauthorized
from swegym_build.github.transport import RetryPolicy
from swegym_build.testing.fakegithub import FakeGitHub, Fault
from swegym_build.workspace import Workspace
from tests.mine.helpers import raw_instances, run_mine

KEPT = [2, 10, 13, 15, 21, 23, 25]
TOKEN = "ghp_SECRETtoken1234567890abcdef"


def test_exhausted_budget_waits_for_the_reset_with_a_countdown(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    fake_github.inject(Fault("exhaust", reset_in=2.0, path_contains="/issues"))
    waits: list[tuple[str, float]] = []
    started = time.monotonic()

    summary = run_mine(fake_github, workspace, on_wait=lambda why, left: waits.append((why, left)))
    elapsed = time.monotonic() - started

    assert elapsed >= 2.0
    assert [i.pull_number for i in raw_instances(workspace)] == KEPT
    # one 403 only: the next request came after the reset (the fake refuses every one before it)
    assert fake_github.count(status=403) == 1
    countdown = [left for why, left in waits if why == "rate limit"]
    assert len(countdown) >= 3 and countdown == sorted(countdown, reverse=True) and countdown[-1] == 0
    # The summary's wait is the countdown's: the header's reset is whole seconds (as GitHub's), so
    # the wait is measured from the 403's arrival, a little after the fake set the reset 2 s ahead.
    assert countdown[0] <= summary.api.waited_seconds <= elapsed


def test_rate_limit_that_never_resets_fails_clearly(fake_github: FakeGitHub, workspace: Workspace) -> None:
    fake_github.inject(Fault("exhaust", times=10, reset_in=0.5, path_contains="/issues"))
    policy = RetryPolicy(attempts=2, backoff_base=0.01, rate_limit_waits=2)
    with pytest.raises(RateLimited, match="GITHUB_TOKEN"):
        run_mine(fake_github, workspace, policy=policy)


def test_secondary_limit_honours_retry_after(fake_github: FakeGitHub, workspace: Workspace) -> None:
    fake_github.inject(Fault("secondary", times=2, retry_after=1, path_contains="/issues"))
    started = time.monotonic()

    summary = run_mine(fake_github, workspace)

    assert time.monotonic() - started >= 2.0  # two waits of Retry-After: 1
    assert fake_github.count(status=403) == 2
    assert summary.api.retries == 2
    assert [i.pull_number for i in raw_instances(workspace)] == KEPT


def test_5xx_and_dropped_connections_are_retried_with_backoff(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    fake_github.inject(Fault("status", status=502, times=2, path_contains="/comments"))
    fake_github.inject(Fault("drop", times=1, path_contains="/issues"))
    fake_github.inject(Fault("slow", delay=0.5, times=1, path_contains="/repos"))

    summary = run_mine(fake_github, workspace)

    assert fake_github.count(status=502) == 2
    assert summary.api.retries == 3
    assert [i.pull_number for i in raw_instances(workspace)] == KEPT


def test_persistent_5xx_gives_up_after_bounded_attempts(
    fake_github: FakeGitHub, workspace: Workspace
) -> None:
    fake_github.inject(Fault("status", status=503, times=100, path_contains="/issues"))
    with pytest.raises(Exception, match="HTTP 503"):
        run_mine(fake_github, workspace)
    assert fake_github.count(status=503) == 4  # FAST_RETRIES.attempts


def test_unknown_repository_is_a_clear_not_found(fake_github: FakeGitHub, workspace: Workspace) -> None:
    with pytest.raises(NotFound, match="nobody/nothing"):
        run_mine(fake_github, workspace, repo="nobody/nothing")


def test_wrong_token_is_unauthorized(fake_github: FakeGitHub, workspace: Workspace) -> None:
    fake_github.token = "the-right-one"
    with pytest.raises(Unauthorized, match="401"):
        run_mine(fake_github, workspace, token="a-wrong-one")


def test_token_never_reaches_cache_state_raw_file_or_logs(
    fake_github: FakeGitHub, workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    fake_github.token = TOKEN
    fake_github.inject(Fault("status", status=502, times=1, path_contains="/issues"))
    with caplog.at_level(logging.DEBUG):
        run_mine(fake_github, workspace, token=TOKEN)
        run_mine(fake_github, workspace, token=TOKEN)

    assert fake_github.requests and all(r.authorized for r in fake_github.requests)
    assert TOKEN not in caplog.text
    for path in workspace.root.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_authorized_304s_do_not_spend_the_budget(fake_github: FakeGitHub, workspace: Workspace) -> None:
    fake_github.token = TOKEN
    run_mine(fake_github, workspace, token=TOKEN)
    first = run_mine(fake_github, workspace, token=TOKEN).api.rate_remaining
    second = run_mine(fake_github, workspace, token=TOKEN).api.rate_remaining
    assert first == second
