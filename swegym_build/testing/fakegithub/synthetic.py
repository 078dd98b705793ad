"""Large synthetic worlds for the fake GitHub: thousands of issues, pull requests and comments.

The repository is real git, written in one `git fast-import` stream (thousands of commits take
seconds): a bare repository with `refs/heads/main` and `refs/pull/<N>/head` for every pull request.
Issues and pull requests share one number sequence, as on GitHub. Pull requests come in the mix
a busy project shows: merged (by merge commit, squash, rebase, or a maintainer's fast-forward push
that moves the PR's head onto main), closed unmerged, or still open; linking
issues through closing keywords in the body or in a commit message (bare `#N`, `owner/name#N`, an
issue URL, one or two issues), or not at all, or only seemingly (a non-closing mention, another
repository, another pull request, a keyword inside an HTML comment); changing source and tests,
only source, or only tests. Comments fall on issues and pull requests at random times, before and
after the first commits of the pull requests that fix them.

`SyntheticTruth` says what each pull request was planted as, and which must become candidates
with which issues and hints, so a test or a benchmark can check the miner against it. Everything
is drawn from generators seeded with `seed`: the same arguments give the same world, SHAs
included, and comments have a generator of their own, so the same seed at another comment density
gives the same issues, pull requests and history.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from swegym_build.testing.fakegithub.world import FakeComment, FakeIssue, FakePull, FakeRepo, World

REPO_NAME = "synthetic-org/big-project"
OTHER_REPO = "other-org/other-lib"
BRANCH = "main"
PACKAGE = "bigproject"
START = datetime(2020, 1, 6, 9, 0, tzinfo=timezone.utc)

# What a pull request was planted as. Only CANDIDATE must be kept by the miner.
CANDIDATE = "candidate"
NO_TESTS = "linked_no_tests"  # links an issue, changes source only
ONLY_TESTS = "linked_only_tests"  # links an issue, changes tests only
NO_REFERENCE = "no_reference"
MENTION_ONLY = "mention_only"  # "See #N": no closing keyword
OTHER_REPOSITORY = "other_repository"  # "Fixes other-org/other-lib#N"
LINKS_PULL = "links_pull"  # "Closes #N" where N is a pull request
COMMENTED_OUT = "commented_out"  # "<!-- Fixes #N -->", as a PR template leaves it
CLOSED_UNMERGED = "closed_unmerged"
OPEN = "open"

_LINKED_KINDS = ((CANDIDATE, 0.70), (NO_TESTS, 0.20), (ONLY_TESTS, 0.10))
_UNLINKED_KINDS = (
    (NO_REFERENCE, 0.40),
    (MENTION_ONLY, 0.20),
    (OTHER_REPOSITORY, 0.15),
    (LINKS_PULL, 0.15),
    (COMMENTED_OUT, 0.10),
)
_MERGED_SHARE, _CLOSED_SHARE = 0.60, 0.25  # the rest stay open
# How merged PRs land. GitHub's buttons make the first three; a fast-forward is a maintainer's push.
LANDINGS: tuple[tuple[str, float], ...] = (
    ("merge", 0.55),
    ("squash", 0.34),
    ("rebase", 0.10),
    ("fast_forward", 0.01),
)
_LINKED_SHARE = 0.40  # of merged pull requests
_RECENT_ISSUES = 30  # a fix links one of the issues opened lately
_COMMENT_SPREAD = timedelta(days=4)
_IDENTITY = "Synthetic Author <author@example.invalid>"
# Pull request commits are written on this ref, then filed under refs/pull/<N>/head, packed.
_SCRATCH_REF = "refs/synthetic-scratch"


@dataclass(frozen=True)
class PlantedCandidate:
    """A pull request the miner must keep: the issues it resolves and the hints it must carry."""

    issue_numbers: tuple[int, ...]
    hints: tuple[str, ...]  # bodies of the linked issues' comments older than the first commit, oldest first


@dataclass
class SyntheticTruth:
    """What was planted: the kind of every pull request, and the candidates among them."""

    kinds: dict[int, str] = field(default_factory=dict)
    candidates: dict[int, PlantedCandidate] = field(default_factory=dict)
    landings: dict[int, str] = field(default_factory=dict)  # merged PRs: how each landed on main


@dataclass(frozen=True)
class _Commit:
    when: datetime
    message: str
    files: dict[str, str]  # path -> content


@dataclass
class _PlannedPull:
    pull: FakePull
    kind: str
    commits: list[_Commit]
    merge: str | None  # one of LANDINGS, or None
    merged_at: datetime | None
    linked: tuple[int, ...]


@dataclass
class _Stream:
    """A `git fast-import` stream under construction; commits are named by marks."""

    chunks: list[bytes] = field(default_factory=list)
    marks: int = 0

    def commit(
        self,
        ref: str,
        when: datetime,
        message: str,
        parent: str | None,
        files: dict[str, str],
        merge: str | None = None,
        authored: datetime | None = None,
    ) -> str:
        self.marks += 1
        stamp = f"{int(when.timestamp())} +0000"
        author_stamp = f"{int((authored or when).timestamp())} +0000"
        lines = [
            f"commit {ref}\nmark :{self.marks}\n".encode(),
            f"author {_IDENTITY} {author_stamp}\ncommitter {_IDENTITY} {stamp}\n".encode(),
            _data(message),
        ]
        if parent:
            lines.append(f"from {parent}\n".encode())
        if merge:
            lines.append(f"merge {merge}\n".encode())
        for path, content in files.items():
            lines += [f"M 100644 inline {path}\n".encode(), _data(content)]
        self.chunks.append(b"".join(lines) + b"\n")
        return f":{self.marks}"


def _data(text: str) -> bytes:
    raw = text.encode()
    return f"data {len(raw)}\n".encode() + raw + b"\n"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _git(bare: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    result = subprocess.run(["git", *args], cwd=bare, env=env, input=stdin, check=True, capture_output=True)
    return result.stdout.decode().strip()


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    kinds, weights = zip(*weighted, strict=True)
    return str(rng.choices(kinds, weights)[0])


def _geometric(rng: random.Random, mean: float) -> int:
    """A count with the given mean: most items get none or few, some get many (as on GitHub)."""
    success = 1 / (1 + mean)
    count = 0
    while rng.random() >= success:
        count += 1
    return count


def build_synthetic_world(
    dest: Path,
    *,
    pulls: int,
    issues: int,
    comments_per_issue: float,
    comments_per_pull: float,
    seed: int,
    landings: Sequence[tuple[str, float]] = LANDINGS,
) -> tuple[World, SyntheticTruth]:
    """A world of one repository, `REPO_NAME`, with `pulls` pull requests and `issues` issues.

    `dest/<owner>__<name>.git` is the bare repository (rebuilt from scratch). Comment counts per
    issue and per pull request are drawn with the given means.
    """
    # Absolute: the path is the clone URL, which git reads from wherever the miner runs.
    bare = dest.resolve() / (REPO_NAME.replace("/", "__") + ".git")
    if bare.exists():
        shutil.rmtree(bare)
    bare.mkdir(parents=True)
    _git(bare, "init", "--quiet", "--bare", f"--initial-branch={BRANCH}")
    repo = FakeRepo(full_name=REPO_NAME, clone_url=str(bare), default_branch=BRANCH)
    truth = grow_synthetic_world(
        repo,
        pulls=pulls,
        issues=issues,
        comments_per_issue=comments_per_issue,
        comments_per_pull=comments_per_pull,
        seed=seed,
        landings=landings,
    )
    world = World()
    world.add(repo)
    return world, truth


def grow_synthetic_world(
    repo: FakeRepo,
    *,
    pulls: int,
    issues: int,
    comments_per_issue: float,
    comments_per_pull: float,
    seed: int,
    landings: Sequence[tuple[str, float]] = LANDINGS,
) -> SyntheticTruth:
    """Add `pulls` pull requests and `issues` issues after everything `repo` already has.

    New commits go into `repo.clone_url` (main advances, new `refs/pull/<N>/head` appear); new
    pull requests may fix older issues, closing them. Returns the truth about the new pull requests.
    """
    return _Grower(repo, seed, comments_per_issue, comments_per_pull, landings).grow(issues, pulls)


class _Grower:
    """Draws new items after the existing ones and writes their history into the repository."""

    def __init__(
        self,
        repo: FakeRepo,
        seed: int,
        comments_per_issue: float,
        comments_per_pull: float,
        landings: Sequence[tuple[str, float]],
    ) -> None:
        self.landings = landings
        # Comments draw from their own generator: the same seed gives the same issues, pull
        # requests and git history whatever the comment density.
        self.rng, self.comment_rng = random.Random(seed), random.Random(f"{seed}:comments")
        self.repo = repo
        self.comments_per_issue, self.comments_per_pull = comments_per_issue, comments_per_pull
        self.bare = Path(repo.clone_url)
        numbers = [*repo.issues, *repo.pulls]
        self.next_number = max(numbers, default=0) + 1
        items: list[FakeIssue | FakePull] = [*repo.issues.values(), *repo.pulls.values()]
        stamps = [item.updated_at for item in items]
        stamps += [c.created_at for c in repo.comments]
        self.clock = max((_parse(s) for s in stamps), default=START) + timedelta(hours=1)
        self.next_comment_id = max((c.id for c in repo.comments), default=1000) + 1
        self.used_stamps = {c.created_at for c in repo.comments}
        self.comments_on: dict[int, list[FakeComment]] = {}
        for comment in repo.comments:
            self.comments_on.setdefault(comment.issue_number, []).append(comment)
        self.issue_numbers = sorted(repo.issues)
        self.pull_numbers = sorted(repo.pulls)

    def grow(self, issues: int, pulls: int) -> SyntheticTruth:
        kinds = ["issue"] * issues + ["pull"] * pulls
        self.rng.shuffle(kinds)
        planned: list[_PlannedPull] = []
        for kind in kinds:
            self.clock += timedelta(minutes=self.rng.randint(10, 110))
            if kind == "issue":
                self._add_issue()
            else:
                planned.append(self._plan_pull())
        self._write_history(planned)
        truth = SyntheticTruth()
        for plan in planned:
            self.repo.pulls[plan.pull.number] = plan.pull
            truth.kinds[plan.pull.number] = plan.kind
            if plan.merge:
                truth.landings[plan.pull.number] = plan.merge
            if plan.kind == CANDIDATE:
                truth.candidates[plan.pull.number] = PlantedCandidate(
                    plan.linked, self._hints(plan.linked, plan.commits[0].when)
                )
        return truth

    # -- issues, pull requests and comments ----------------------------------------------------
    def _take_number(self) -> int:
        number, self.next_number = self.next_number, self.next_number + 1
        return number

    def _add_issue(self) -> None:
        number = self._take_number()
        stamp = _iso(self.clock)
        issue = FakeIssue(
            number=number,
            title=f"Feature {number} misbehaves",
            body=f"Calling feature {number} gives the wrong answer.\nExpected one more.",
            created_at=stamp,
            updated_at=stamp,
            user=self.rng.choice(("alice", "dave", "erin")),
        )
        self.repo.issues[number] = issue
        self.issue_numbers.append(number)
        last = self._add_comments(number, self.clock, self.comments_per_issue)
        issue.updated_at = _iso(max(last, self.clock))

    def _add_comments(self, number: int, after: datetime, mean: float) -> datetime:
        """Comments on item `number` within a few days of `after`; returns the latest one's time."""
        latest = after
        rng = self.comment_rng
        for _ in range(_geometric(rng, mean)):
            # Whole minutes plus 1-59 s: never the same instant as a commit (always on the minute).
            offset = rng.randrange(1, int(_COMMENT_SPREAD.total_seconds()) // 60) * 60
            moment = after + timedelta(seconds=offset + rng.randint(1, 59))
            while _iso(moment) in self.used_stamps:
                moment += timedelta(minutes=1)
            stamp = _iso(moment)
            self.used_stamps.add(stamp)
            body = f"Comment {self.next_comment_id} on #{number}: seen it again here."
            comment = FakeComment(self.next_comment_id, number, body, stamp, stamp)
            self.repo.comments.append(comment)
            self.comments_on.setdefault(number, []).append(comment)
            self.next_comment_id += 1
            latest = max(latest, moment)
        return latest

    def _plan_pull(self) -> _PlannedPull:
        rng, number = self.rng, self._take_number()
        roll = rng.random()
        merged = roll < _MERGED_SHARE
        if merged:
            weighted = _LINKED_KINDS if rng.random() < _LINKED_SHARE else _UNLINKED_KINDS
            kind = _pick(rng, weighted)
        else:
            kind = CLOSED_UNMERGED if roll < _MERGED_SHARE + _CLOSED_SHARE else OPEN
        recent = self.issue_numbers[-_RECENT_ISSUES:]
        if kind in (CANDIDATE, NO_TESTS, ONLY_TESTS, MENTION_ONLY, COMMENTED_OUT) and not recent:
            kind = NO_REFERENCE
        if kind == LINKS_PULL and not self.pull_numbers:
            kind = NO_REFERENCE

        linked: tuple[int, ...] = ()
        if kind in (CANDIDATE, NO_TESTS, ONLY_TESTS) or (not merged and recent and rng.random() < 0.5):
            count = 2 if len(recent) > 1 and rng.random() < 0.1 else 1
            linked = tuple(sorted(rng.sample(recent, count)))
        body, in_commit = self._body(kind, number, linked, recent)

        created = self.clock
        first = created - timedelta(minutes=rng.randint(5, 300))
        times = [first]
        if rng.random() < 0.4:
            times.append(first + timedelta(minutes=rng.randint(1, (created - first).seconds // 60)))
        with_tests = kind in (CANDIDATE, ONLY_TESTS) or (kind != NO_TESTS and rng.random() < 0.7)
        files = _files(number, len(times), with_source=kind != ONLY_TESTS, with_tests=with_tests)
        messages = [f"Work on feature {number}" for _ in times]
        if in_commit:
            messages[-1] += f"\n\n{in_commit}"
        commits = [_Commit(*parts) for parts in zip(times, messages, files, strict=True)]
        closed = created + timedelta(minutes=rng.randint(30, 72 * 60))
        merge = _pick(rng, self.landings) if merged else None
        pull = FakePull(
            number=number,
            title=f"Fix feature {number}",
            body=body,
            created_at=_iso(created),
            updated_at=_iso(created),
            head_ref=f"feature-{number}",
            head_sha="",
            base_ref=BRANCH,
            base_sha="",
            state="open" if kind == OPEN else "closed",
            closed_at=None if kind == OPEN else _iso(closed),
            merged_at=_iso(closed) if merged else None,
            user=rng.choice(("bob", "frank", "grace")),
        )
        last = self._add_comments(number, created, self.comments_per_pull)
        pull.updated_at = _iso(max(last, created if kind == OPEN else closed))
        if merged:
            for issue_number in linked:
                issue = self.repo.issues[issue_number]
                if issue.state == "open":
                    issue.state, issue.closed_at = "closed", pull.merged_at
                    issue.updated_at = max(issue.updated_at, _iso(closed))
        self.pull_numbers.append(number)
        return _PlannedPull(pull, kind, commits, merge, closed if merged else None, linked)

    def _body(self, kind: str, number: int, linked: tuple[int, ...], recent: list[int]) -> tuple[str, str]:
        """The pull request's body, and the closing line to put in its last commit message instead."""
        rng = self.rng
        text = f"This changes feature {number}."
        if linked:
            refs = " and ".join(f"#{n}" for n in linked)
            style = rng.random()
            if style < 0.55:
                return f"{text}\n\nFixes {refs}", ""
            if style < 0.80:
                return text, f"Closes {refs}"
            if style < 0.90:
                urls = ", ".join(f"https://github.com/{REPO_NAME}/issues/{n}" for n in linked)
                return f"{text}\n\nResolves {urls}", ""
            return f"{text}\n\nfixes: " + ", ".join(f"{REPO_NAME}#{n}" for n in linked), ""
        if kind == MENTION_ONLY:
            return f"{text}\n\nSee #{rng.choice(recent)} for the background.", ""
        if kind == OTHER_REPOSITORY:
            return f"{text}\n\nFixes {OTHER_REPO}#{rng.randint(1, 500)}", ""
        if kind == LINKS_PULL:
            return f"{text}\n\nCloses #{rng.choice(self.pull_numbers[-_RECENT_ISSUES:])}", ""
        if kind == COMMENTED_OUT:
            return f"<!-- Fixes #{rng.choice(recent)} if any -->\n{text}", ""
        return text, ""

    def _hints(self, linked: tuple[int, ...], first_commit: datetime) -> tuple[str, ...]:
        before = _iso(first_commit)
        found = [c for n in linked for c in self.comments_on.get(n, ()) if c.created_at < before]
        return tuple(c.body for c in sorted(found, key=lambda c: c.created_at))

    # -- git ---------------------------------------------------------------------------------------
    def _write_history(self, planned: list[_PlannedPull]) -> None:
        """Fork every pull request from main when its first commit is made, merge it when merged."""
        stream = _Stream()
        if _has_main(self.bare):
            tip = _git(self.bare, "rev-parse", f"refs/heads/{BRANCH}")
        else:
            readme = {"README.md": "# big-project\n", f"{PACKAGE}/__init__.py": '"""Big project."""\n'}
            tip = stream.commit(f"refs/heads/{BRANCH}", START, "Initial commit", None, readme)

        events: list[tuple[datetime, int, int, _PlannedPull]] = []
        for plan in planned:
            events.append((plan.commits[0].when, plan.pull.number, 0, plan))
            if plan.merged_at:
                events.append((plan.merged_at, plan.pull.number, 1, plan))
        heads: dict[int, str] = {}
        bases: dict[int, str] = {}
        merges: dict[int, str] = {}
        for when, number, is_merge, plan in sorted(events, key=lambda e: e[:3]):
            if not is_merge:
                bases[number] = head = tip
                for commit in plan.commits:
                    head = stream.commit(_SCRATCH_REF, commit.when, commit.message, head, commit.files)
                heads[number] = head
                continue
            bases[number] = tip
            changed = {path: text for commit in plan.commits for path, text in commit.files.items()}
            if plan.merge == "merge":
                message = f"Merge pull request #{number} from {plan.pull.head_ref}"
                tip = stream.commit(f"refs/heads/{BRANCH}", when, message, tip, changed, heads[number])
            elif plan.merge in ("rebase", "fast_forward"):
                # Copies of the PR's commits on main (new commit dates, the same author dates).
                for commit in plan.commits:
                    tip = stream.commit(
                        f"refs/heads/{BRANCH}", when, commit.message, tip, commit.files, authored=commit.when
                    )
                if plan.merge == "fast_forward":  # the rebased branch was pushed to the PR, then to main
                    heads[number] = tip
            else:
                message = f"{plan.pull.title} (#{number})"
                tip = stream.commit(f"refs/heads/{BRANCH}", when, message, tip, changed)
            merges[number] = tip

        marks = self.bare / "synthetic-marks"
        _git(self.bare, "fast-import", "--quiet", f"--export-marks={marks}", stdin=b"".join(stream.chunks))
        shas = dict(line.split(" ", 1) for line in marks.read_text().splitlines())
        marks.unlink()

        def sha(name: str) -> str:
            return shas.get(name, name)

        _git(self.bare, "update-ref", "-d", _SCRATCH_REF)
        _add_packed_refs(self.bare, {f"refs/pull/{number}/head": sha(head) for number, head in heads.items()})

        for plan in planned:
            number = plan.pull.number
            plan.pull.head_sha, plan.pull.base_sha = sha(heads[number]), sha(bases[number])
            if number in merges:
                plan.pull.merge_commit_sha = sha(merges[number])


def _files(number: int, commits: int, *, with_source: bool, with_tests: bool) -> list[dict[str, str]]:
    """Per commit, the files it writes: a tiny module and/or its test, unique to the pull request.

    Ten pull requests' files to a directory, a hundred such directories to a parent: a commit
    rewrites every tree on its files' paths, so one flat directory of every feature would make each
    commit cost as much as the history before it.
    """
    shard = f"part_{number // 1000}/part_{number // 10}"
    source = f"{PACKAGE}/{shard}/feature_{number}.py"
    test = f"tests/{shard}/test_feature_{number}.py"
    module = f"{PACKAGE}.{shard.replace('/', '.')}.feature_{number}"

    def code(step: int) -> str:
        return f'"""Feature {number}."""\n\n\ndef feature_{number}(value):\n    return value + {step}\n'

    test_text = (
        f"from {module} import feature_{number}\n\n\n"
        f"def test_feature_{number}():\n    assert feature_{number}(1) == 2\n"
    )
    first = {source: code(0)} if with_source else {test: test_text}
    if commits == 1:
        return [{**first, test: test_text} if with_source and with_tests else first]
    second = {source: code(1)} if with_source else {test: test_text + "\n"}
    if with_source and with_tests:
        second[test] = test_text
    return [first, second]


def _add_packed_refs(bare: Path, refs: dict[str, str]) -> None:
    """Add `refs` (name -> sha) to the repository's packed-refs file, rewritten whole.

    Tens of thousands of PR heads as loose refs would be as many files and directories to write,
    and to delete again when the world is rebuilt; packed, they are one file, as `git pack-refs`
    leaves them. The names are new (no loose ref shadows them), and no tag is annotated, so the
    file holds no peeled lines.
    """
    packed = bare / "packed-refs"
    known: dict[str, str] = {}
    if packed.exists():
        for line in packed.read_text().splitlines():
            if line and not line.startswith(("#", "^")):
                sha, name = line.split(" ", 1)
                known[name] = sha
    known.update(refs)
    lines = [f"{known[name]} {name}\n" for name in sorted(known, key=str.encode)]
    staged = bare / "packed-refs.new"
    staged.write_text("# pack-refs with: peeled fully-peeled sorted \n" + "".join(lines))
    staged.replace(packed)


def _has_main(bare: Path) -> bool:
    try:
        _git(bare, "rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}")
    except subprocess.CalledProcessError:
        return False
    return True
