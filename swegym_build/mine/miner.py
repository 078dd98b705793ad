"""The mine stage: a repository's merged, issue-resolving, test-touching PRs as SWE-Gym Raw.

Resumable by construction: every decision is stored in the state store keyed by the PR's
`updated_at` (and the limits in force), and a kept candidate is appended to the raw file before
its state row is written, so a `kill -9` at any point is repaired by the next run: decided PRs
are skipped, and a candidate already in the file is never appended twice.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from github import Github

from swegym_build.driver import Outcome, Planned, Stage, StageReport, drive
from swegym_build.errors import GitHubError
from swegym_build.executors import LocalExecutor
from swegym_build.github.transport import ApiStats
from swegym_build.jsonl import AppendOnlyJsonl
from swegym_build.mine.bases import BaseFinder
from swegym_build.mine.decide import Candidate, DiffLimits, Rejected, decide
from swegym_build.mine.hints import HintPlan, fetch_comments
from swegym_build.mine.known import KnownItems, high_water_mark
from swegym_build.mine.listing import (
    CommentItem,
    IssueItem,
    IssuesList,
    PullItem,
    base_sha,
    iso,
    list_merged_at,
    read_issues_list,
    translate_errors,
)
from swegym_build.mine.mirror import Mirror, PullHead
from swegym_build.records import TaskInstance, instance_id_for
from swegym_build.state import KEPT, REJECTED, StageRecord, StateStore
from swegym_build.workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "mine"
ERROR = "error"


@dataclass(frozen=True)
class MineOptions:
    repo: str
    since: datetime | None = None
    max_pulls: int | None = None
    limits: DiffLimits = field(default_factory=DiffLimits)


@dataclass
class MineProgress:
    """A live view of the run, handed to the display after every step."""

    phase: str = "starting"
    total: int = 0
    scanned: int = 0
    kept: int = 0
    rejected: int = 0
    already_done: int = 0
    api: ApiStats = field(default_factory=ApiStats)


@dataclass
class MineSummary:
    repo: str
    raw_file: str
    scanned: int
    kept: int
    already_done: int
    outcomes: Counter[str]
    hint_plan: HintPlan
    bases_asked: int  # PRs whose base only the API could tell (one request each)
    api: ApiStats
    seconds: float
    report: StageReport | None = None


def mine(
    gh: Github,
    api_url: str,
    workspace: Workspace,
    state: StateStore,
    options: MineOptions,
    stats: ApiStats,
    token: str | None = None,
    notify: Callable[[MineProgress], None] = lambda _: None,
) -> MineSummary:
    """Mine one repository through the driver; every decision is recorded as it is made."""
    stage = MineStage(MineJob(gh, api_url, workspace, options, stats, token, notify))
    report = drive(stage, state, LocalExecutor(1))
    assert stage.summary is not None, "the mine job ran to its end"
    stage.summary.report = report
    return stage.summary


@dataclass(frozen=True)
class MineJob:
    gh: Github = field(compare=False)
    api_url: str
    workspace: Workspace
    options: MineOptions
    stats: ApiStats
    token: str | None = field(default=None, repr=False)
    notify: Callable[[MineProgress], None] = field(default=lambda _: None, compare=False)
    # The state store's rows of this stage for a repository (read-only; the driver writes).
    decided: Callable[[str], dict[str, StageRecord]] = field(default=lambda _: {}, compare=False)


class MineRun:
    """A repository being mined, lazily: the work happens as its outcomes are read."""

    def __init__(self, job: MineJob) -> None:
        self.job = job
        self.summary: MineSummary | None = None

    def outcomes(self) -> Iterator[Outcome]:
        job = self.job
        gh, api_url, workspace, options, stats, token = (
            job.gh, job.api_url, job.workspace, job.options, job.stats, job.token
        )  # fmt: skip
        notify = job.notify
        started = time.monotonic()
        progress = MineProgress(api=stats)

        def step(phase: str) -> None:
            progress.phase = phase
            notify(progress)

        with translate_errors(options.repo, api_url):
            step("reading repository")
            remote = gh.get_repo(options.repo)
            full_name, clone_url, default_branch = remote.full_name, remote.clone_url, remote.default_branch
        known = KnownItems(workspace.known_items_db(full_name))
        since = known.mark()
        listing_started = datetime.now(timezone.utc)
        with translate_errors(options.repo, api_url):
            step("listing issues and pull requests" + (f" updated since {iso(since)}" if since else ""))
            page = read_issues_list(remote, since)
            fresh = page.items
            if page.merged_at_missing:
                step("listing pull requests (this server's issues list lacks merged_at)")
                merged_at = list_merged_at(remote, since)
                fresh = [replace(i, merged_at=merged_at.get(i.number)) if i.is_pull else i for i in fresh]
        known.update(fresh)
        every = known.items()
        listing = IssuesList.of(every)
        items, issues = listing.items, listing.issues
        pulls = [p for p in listing.pulls if options.since is None or p.created_at >= options.since]
        if options.max_pulls is not None:
            pulls = pulls[: options.max_pulls]
        progress.total = len(pulls)

        step("syncing git mirror")
        mirror = Mirror.sync(workspace.mirror_dir(full_name), clone_url, token)
        raw = AppendOnlyJsonl(workspace.raw_file(full_name))
        written = {row["instance_id"] for row in raw}
        decided = job.decided(full_name)

        def is_done(pull: PullItem) -> bool:
            previous = decided.get(instance_id_for(full_name, pull.number))
            return (
                previous is not None
                and previous.inputs_key == _inputs_key(pull, options)
                and (previous.status == REJECTED or previous.instance_id in written)
            )

        to_decide = [pull for pull in pulls if not is_done(pull)]
        progress.already_done = progress.scanned = len(pulls) - len(to_decide)
        # The heads and the history walk are read only when some PR is to be decided.
        heads = mirror.pull_heads() if to_decide else {}

        def ask_base_sha(number: int) -> str | None:
            with translate_errors(options.repo, api_url):
                return base_sha(remote, number)

        bases = BaseFinder(mirror, default_branch, heads, ask_base_sha)

        step("scanning pull requests")
        outcomes: Counter[str] = Counter()
        candidates: list[Candidate] = []
        for pull in to_decide:
            instance_id = instance_id_for(full_name, pull.number)
            outcome = _decide_safely(
                pull, heads.get(pull.number), full_name, issues, mirror, bases, options.limits, instance_id
            )
            if isinstance(outcome, Candidate):
                candidates.append(outcome)
            else:
                key = _inputs_key(pull, options)
                yield Outcome(
                    instance_id, full_name, outcome.reason, outcome.detail, key, retry=outcome.reason == ERROR
                )
                outcomes[outcome.reason] += 1
                progress.rejected += 1
            progress.scanned += 1
            notify(progress)

        step("fetching issue comments")
        pending = [c for c in candidates if instance_id_for(full_name, c.pull.number) not in written]
        needed = {number for c in pending for number in c.issue_numbers}
        until = max((c.first_commit_at for c in pending), default=None)
        with translate_errors(options.repo, api_url):
            comments, hint_plan = fetch_comments(remote, needed, items, until)

        step("writing candidates")
        for candidate in candidates:
            instance_id = instance_id_for(full_name, candidate.pull.number)
            if instance_id not in written:
                instance = _to_instance(full_name, candidate, issues, comments)
                raw.append(instance.to_dict())
                written.add(instance_id)
            yield Outcome(
                instance_id, full_name, KEPT, "; ".join(candidate.notes), _inputs_key(candidate.pull, options)
            )
            outcomes[KEPT] += 1
            progress.kept += 1
            notify(progress)
        # Only now is everything listed up to the mark decided and stored: a run stopped before
        # this point lists again from the previous mark.
        known.advance(high_water_mark(every.values(), listing_started))
        step("done")
        self.summary = MineSummary(
            repo=full_name,
            raw_file=str(raw.path),
            scanned=progress.scanned,
            kept=progress.kept,
            already_done=progress.already_done,
            outcomes=outcomes,
            hint_plan=hint_plan,
            bases_asked=len(bases.asked_api),
            api=stats,
            seconds=time.monotonic() - started,
        )


class MineStage(Stage[MineJob, MineRun]):
    """One job, the repository; its outcomes stream out as PRs are decided (the driver records
    each at once, so a `kill -9` loses only the PR in flight)."""

    name: str = STAGE
    done: tuple[str, ...] = (KEPT, REJECTED)

    def __init__(self, job: MineJob) -> None:
        self.job = job
        self.summary: MineSummary | None = None

    def plan(self, state: StateStore) -> Iterator[Planned[MineJob]]:
        def decided(repo: str) -> dict[str, StageRecord]:
            return {r.instance_id: r for r in state.records(STAGE, repo)}

        yield Planned(replace(self.job, decided=decided), self.job.options.repo)

    def worker(self) -> Callable[[MineJob], MineRun]:
        return MineRun

    def settle(self, job: MineJob, run: MineRun) -> Iterator[Outcome]:
        yield from run.outcomes()
        self.summary = run.summary


def _inputs_key(pull: PullItem, options: MineOptions) -> str:
    """What a PR's stored decision depends on: the PR as listed, and the limits in force."""
    return f"{iso(pull.updated_at)}|{options.limits.key()}"


def _decide_safely(
    pull: PullItem,
    head: PullHead | None,
    repo: str,
    issues: dict[int, IssueItem],
    mirror: Mirror,
    bases: BaseFinder,
    limits: DiffLimits,
    instance_id: str,
) -> Candidate | Rejected:
    """One broken PR (a corrupt object, an odd ref) is recorded and the scan goes on; an API that
    stops answering ends the run (what was decided so far is kept)."""
    try:
        return decide(pull, head, repo, issues, mirror, bases, limits)
    except GitHubError:
        raise
    except Exception as error:
        log.exception("%s: could not be mined", instance_id)
        return Rejected(ERROR, f"{type(error).__name__}: {error}")


def _to_instance(
    repo: str, candidate: Candidate, issues: dict[int, IssueItem], comments: dict[int, list[CommentItem]]
) -> TaskInstance:
    linked = [issues[number] for number in candidate.issue_numbers]
    problem = "".join(f"{item.title}\n{item.body}\n" for item in linked)
    # Hints are what was known before work on the fix began: comments older than its first commit.
    hints = sorted(
        (
            c
            for number in candidate.issue_numbers
            for c in comments.get(number, [])
            if c.created_at < candidate.first_commit_at
        ),
        key=lambda c: c.created_at,
    )
    return TaskInstance(
        repo=repo,
        instance_id=instance_id_for(repo, candidate.pull.number),
        base_commit=candidate.base_commit,
        patch=candidate.patch,
        test_patch=candidate.test_patch,
        problem_statement=problem,
        hints_text="\n".join(c.body for c in hints),
        created_at=iso(candidate.pull.created_at),
        pull_number=candidate.pull.number,
        issue_numbers=candidate.issue_numbers,
    )
