"""Try candidate recipes until one verifies: its env image builds and collects the tests.

`verify_env` is the loop alone: it takes a function that builds an env image for a candidate and
one that checks collection in it, so the same loop runs wherever images are built. It stops at
the first verified candidate, after `max_attempts` attempts, or when the time budget of the
(repository, version) is spent (no attempt starts after it; the build function is given what is
left as its timeout). Every attempt is recorded: the recipe, its log, and why it failed.

After a failure, `remedy(candidate, log)` may name candidates the log points at (a package pip
cannot find, a missing command: `remedies.py`); they are tried next, before the rest of the
list, within the same limits. A build that failed with no cure sends the candidates that install
more to the back of the list (`Candidate.adds`). A build that failed because a host cannot be
reached (`unreachable(log)`) ends the loop: no candidate can reach it either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from swegym_build.verify.candidates import Candidate
from swegym_build.verify.collection import NOT_CHECKABLE, CollectionCheck

log = logging.getLogger(__name__)

Origin = Literal["shipped", "drafted"]
Status = Literal["verified", "failed", "unchecked"]
VERIFIED: Status = "verified"
FAILED: Status = "failed"
UNCHECKED: Status = "unchecked"  # an exit-code suite: nothing to collect, the env built
TIME_LIMIT = "time_limit"

Env = TypeVar("Env")


class AttemptFailed(Exception):
    """Raised by a build function: `reason` is a short code (`env_build_failed`, ...). `final`:
    no other candidate can get further (the repository's files cannot be read)."""

    def __init__(self, reason: str, detail: str, final: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.final = final


@dataclass(frozen=True)
class VerifyLimits:
    """At most `max_attempts` candidates and `minutes` of wall clock per (repository, version).

    8: drafted modin 0.15 verified at its 7th attempt (each cure uncovers the next failure; 401 s
    in all), beyond the 4 of before; the minutes bound what a longer chain can cost."""

    max_attempts: int = 8
    minutes: float = 60.0


@dataclass(frozen=True)
class Attempt:
    """One candidate tried: `outcome` is `verified`, a build failure or a collection reason."""

    label: str
    recipe: dict[str, Any]
    outcome: str
    detail: str
    log: str
    seconds: float
    tests: int = 0

    @property
    def verified(self) -> bool:
        return self.outcome in (VERIFIED, UNCHECKED)


@dataclass(frozen=True)
class EnvVerification:
    """The verification of one (repository, version): one line of `verified/OWNER__NAME.jsonl`."""

    repo: str
    version: str
    origin: Origin
    status: Status
    attempts: tuple[Attempt, ...]
    date: str  # YYYY-MM-DD, UTC
    inputs_key: str = ""  # the candidates and commits it was judged on (see `candidate_digest`)
    image: str = ""  # the winner's env image tag
    stopped: str = ""  # why the loop ended: verified, candidates exhausted, max attempts, time limit
    # For a shipped recipe that failed: a drafted candidate that verified (only when asked for).
    suggestion: Attempt | None = None
    suggestions_tried: int = 0

    @property
    def winner(self) -> Attempt | None:
        return next((a for a in self.attempts if a.verified), None)

    @property
    def recipe(self) -> dict[str, Any] | None:
        return self.winner.recipe if self.winner else None

    @property
    def first_recipe(self) -> dict[str, Any]:
        return self.attempts[0].recipe

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnvVerification:
        attempts = tuple(Attempt(**a) for a in data["attempts"])
        suggestion = Attempt(**data["suggestion"]) if data.get("suggestion") else None
        return cls(**{**data, "attempts": attempts, "suggestion": suggestion})


@dataclass
class LoopResult(Generic[Env]):
    """The loop's answer: the record, and the winner's env (None when nothing verified)."""

    verification: EnvVerification
    env: Env | None = None
    envs_built: list[Env] = field(default_factory=list)


def no_remedy(_candidate: Candidate, _log: str) -> list[Candidate]:
    """No failure-driven candidates: the list is tried as it is (a shipped recipe)."""
    return []


def verify_env(
    repo: str,
    version: str,
    origin: Origin,
    tried: Sequence[Candidate],
    build: Callable[[Candidate, Path, float], Env],
    collect: Callable[[Env, Candidate, Path], CollectionCheck],
    log_dir: Path,
    limits: VerifyLimits,
    clock: Callable[[], float] = time.monotonic,
    remedy: Callable[[Candidate, str], list[Candidate]] = no_remedy,
    unreachable: Callable[[str], str | None] = lambda _log: None,
) -> LoopResult[Env]:
    """Build and check `tried` in order until one verifies.

    `build(candidate, log_file, timeout_seconds)` returns the built env or raises `AttemptFailed`;
    `collect(env, candidate, log_file)` checks collection in it. Logs go to
    `log_dir/attempt-N/{build,collect}.log`.
    """
    started = clock()
    budget = limits.minutes * 60
    attempts: list[Attempt] = []
    result: LoopResult[Env] = LoopResult(_record(repo, version, origin, attempts, "no candidate"))
    stopped = "candidates exhausted"
    queue = list(tried)
    # the logs whose cures were queued: a later candidate of the fixed list gets the same cures
    # (read again from its own recipe), not the failures they cured all over again
    cured_logs: list[str] = []
    cures: set[int] = set()  # the queued candidates that are cures (by id)
    # cures whose build failed: named again by a later failure (the same missing module, on
    # another recipe), they would fail the same way (pip has no such package)
    unbuildable: set[str] = set()
    number = 0
    while queue:
        candidate = queue.pop(0)
        if id(candidate) not in cures:
            candidate = _with_cures(candidate, cured_logs, remedy, unbuildable)
            if any(a.recipe == candidate.install_config for a in attempts):
                continue
        number += 1
        if number > limits.max_attempts:
            stopped = f"max attempts ({limits.max_attempts})"
            break
        left = budget - (clock() - started)
        if left <= 0:
            stopped = f"time limit ({limits.minutes:g} min)"
            break
        folder = log_dir / f"attempt-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        attempt_started = clock()
        try:
            env = build(candidate, folder / "build.log", left)
        except AttemptFailed as failure:
            attempts.append(Attempt(candidate.label, candidate.install_config, failure.reason,
                                    _head_and_tail(failure.detail), str(folder / "build.log"),
                                    round(clock() - attempt_started, 1)))  # fmt: skip
            log.info(
                "%s %s: attempt %d (%s) failed: %s", repo, version, number, candidate.label, failure.reason
            )
            if id(candidate) in cures:
                unbuildable.add(candidate.label)
            if failure.final:
                first = failure.detail.splitlines()[0] if failure.detail else failure.reason
                stopped = f"final: {first[:160]}"
                break
            build_log = _read(folder / "build.log", failure.detail)
            found = remedy(candidate, build_log)
            host = unreachable(build_log)
            if host is not None:
                # no candidate reaches the host either, unless a cure stops fetching from it
                found = [c for c in found if c.avoids_host == host]
            if _next_remedies(queue, attempts, found, cures, unbuildable):
                cured_logs.append(build_log)
            elif host is not None:
                stopped = f"network: {host} unreachable"
                break
            else:
                # no cure: installing more will not mend the install (stable: the rest keep their order)
                queue.sort(key=lambda c: c.adds and id(c) not in cures)
            continue
        result.envs_built.append(env)
        check = collect(env, candidate, folder / "collect.log")
        outcome = UNCHECKED if check.reason == NOT_CHECKABLE else VERIFIED if check.verified else check.reason
        detail = "" if check.verified else _collection_detail(check)
        attempts.append(Attempt(candidate.label, candidate.install_config, outcome, detail,
                                str(folder / "collect.log"), round(clock() - attempt_started, 1),
                                check.tests))  # fmt: skip
        log.info("%s %s: attempt %d (%s): %s", repo, version, number, candidate.label, outcome)
        if attempts[-1].verified:
            result.env = env
            stopped = outcome
            break
        if _next_remedies(queue, attempts, remedy(candidate, check.log), cures, unbuildable):
            cured_logs.append(check.log)
    result.verification = _record(repo, version, origin, attempts, stopped)
    return result


def _with_cures(
    candidate: Candidate,
    logs: list[str],
    remedy: Callable[[Candidate, str], list[Candidate]],
    unbuildable: set[str],
) -> Candidate:
    """`candidate` with the first cure each earlier failure's log names for it, in order. A cure
    whose build failed is passed over when the log names another (pip's missing package, then
    leaving its module out); alone, it is kept: its build may have failed for another reason."""
    for text in logs:
        found = remedy(candidate, text)
        if found:
            cure = next((c for c in found if c.label not in unbuildable), found[0])
            label = f"{candidate.label}; {cure.label}"
            candidate = Candidate(label, cure.install_config, cure.avoids_host, candidate.adds)
    return candidate


def _next_remedies(
    queue: list[Candidate],
    attempts: list[Attempt],
    found: list[Candidate],
    cures: set[int],
    unbuildable: set[str],
) -> int:
    """Put the remedies at the front of `queue` (their ids into `cures`): a recipe tried already is
    left out, and so is a cure whose build failed before; one queued already is moved up (keeping
    its label). Returns how many are next."""
    tried = [a.recipe for a in attempts]
    front: list[Candidate] = []
    for candidate in found:
        config = candidate.install_config
        if (
            config in tried
            or candidate.label in unbuildable
            or any(c.install_config == config for c in front)
        ):
            continue
        queued = next((c for c in queue if c.install_config == config), None)
        if queued is not None:
            queue.remove(queued)
        front.append(queued or candidate)
    queue[:0] = front
    cures.update(id(c) for c in front)
    return len(front)


def _read(path: Path, fallback: str) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return fallback


def _record(
    repo: str, version: str, origin: Origin, attempts: list[Attempt], stopped: str
) -> EnvVerification:
    winner = next((a for a in attempts if a.verified), None)
    status: Status = FAILED if winner is None else UNCHECKED if winner.outcome == UNCHECKED else VERIFIED
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return EnvVerification(repo, version, origin, status, tuple(attempts), today, stopped=stopped)


def _collection_detail(check: CollectionCheck) -> str:
    lines = [line for line in check.log.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "ERROR" in line]
    tail = (errors or lines)[-3:]
    return _short(
        f"{check.reason}: {check.tests} tests, {check.errors} errors, exit {check.exit_code}; "
        + " | ".join(tail)
    )


def _head_and_tail(text: str, limit: int = 4000) -> str:
    """A build failure's message: its first line and the end of the log tail it carries."""
    if len(text) <= limit:
        return text
    first = text.splitlines()[0][:500]
    return f"{first}\n...\n{text[-(limit - len(first) - 5) :]}"


def _short(text: str, limit: int = 600) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
