"""API requests per pull request scanned: the mine stage on a large synthetic world.

    python benchmarks/mine_requests.py [--pulls 1000] [--issues 1000] [--comments-per-issue 1]
        [--comments-per-pull 1] [--new-pulls 50] [--new-issues 25] [--densities 0.5,1,2,4]
        [--seed 7] [--workdir DIR]
    python benchmarks/mine_requests.py --scale 1000,5000,20000

Builds a synthetic world (`swegym_build.testing.fakegithub.synthetic`: a real git repository and its
issues, pull requests and comments), serves it with the fake GitHub on 127.0.0.1 and mines it
with the real miner through PyGithub over HTTP, as `swegym-build mine` does. Reports the requests
the server received and the miner counted, per PR scanned, against the target (<= 0.05) and
against the SWE-bench collector's cost for the same world (about 2 requests per PR scanned plus
5 per kept candidate); then a second run on the unchanged world, a run after new pull requests
arrive, and requests per PR at several comment densities (the comment strategy depends on it).
With `--scale`, instead: per repository size (as many issues as PRs), the seconds to build the
world, then requests and seconds of the first run, of two re-runs over the unchanged world and
of a run after new PRs arrive (the re-runs page the issues list only from the last run's mark).
Exit status 0 whatever the numbers: this measures, it does not gate.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from swegym_build.github.client import open_github
from swegym_build.github.http_cache import HttpCache
from swegym_build.github.transport import ApiStats, GitHubTransport
from swegym_build.jsonl import read_jsonl
from swegym_build.mine.miner import MineOptions, MineSummary, mine
from swegym_build.state import StateStore
from swegym_build.testing.fakegithub import FakeGitHub, World
from swegym_build.testing.fakegithub.synthetic import (
    REPO_NAME,
    SyntheticTruth,
    build_synthetic_world,
    grow_synthetic_world,
)
from swegym_build.workspace import Workspace

TARGET = 0.05
TOKEN = "benchmark-token"
SWE_BENCH_PER_PR, SWE_BENCH_PER_CANDIDATE = 2, 5
_BASE = f"/repos/{REPO_NAME}"
ENDPOINTS = {
    _BASE: "GET repo",
    f"{_BASE}/issues": "GET issues (list)",
    f"{_BASE}/pulls": "GET pulls (list: only where the issues list lacks merged_at)",
    f"{_BASE}/issues/comments": "GET issues/comments (repo-wide list)",
}

console = Console(highlight=False, width=130)


@dataclass(frozen=True)
class Run:
    """One mine run and what the server saw during it."""

    summary: MineSummary
    requests: int
    by_status: Counter[int]
    by_endpoint: Counter[str]

    @property
    def per_pr(self) -> float:
        return self.requests / max(1, self.summary.scanned)


def endpoint(path: str) -> str:
    """The kind of request a path is; anything but a list page would be a per-object request."""
    if path in ENDPOINTS:
        return ENDPOINTS[path]
    if path.startswith(f"{_BASE}/issues/") and path.endswith("/comments"):
        return "GET issues/N/comments (per issue)"
    if path.startswith(f"{_BASE}/pulls/"):
        return "GET pulls/N (base of a fast-forwarded PR)"
    return f"GET {path} (per object)"


def mine_once(fake: FakeGitHub, workspace: Workspace) -> Run:
    """Mine the synthetic repository into `workspace` as the CLI would, counting requests."""
    fake.reset_counter()
    stats = ApiStats()
    cache = HttpCache(workspace.http_cache_db)
    transport = GitHubTransport(cache=cache, stats=stats)
    state = StateStore(workspace.state_db)
    try:
        gh = open_github(fake.url, transport, TOKEN)
        summary = mine(gh, fake.url, workspace, state, MineOptions(repo=REPO_NAME), stats, TOKEN)
    finally:
        state.close()
        cache.close()
        transport.close()
    records = list(fake.requests)
    return Run(
        summary=summary,
        requests=len(records),
        by_status=Counter(r.status for r in records),
        by_endpoint=Counter(endpoint(r.path) for r in records),
    )


def truth_check(workspace: Workspace, truth: SyntheticTruth, numbers: set[int]) -> str:
    """Whether the raw file holds exactly the planted candidates among `numbers`, as planted."""
    rows = {row["pull_number"]: row for row in read_jsonl(workspace.raw_file(REPO_NAME))}
    kept = {n for n in rows if n in numbers}
    planted = set(truth.candidates)
    wrong = [
        n
        for n in kept & planted
        if tuple(rows[n]["issue_numbers"]) != truth.candidates[n].issue_numbers
        or rows[n]["hints_text"] != "\n".join(truth.candidates[n].hints)
    ]
    if kept == planted and not wrong:
        return f"yes ({len(planted)} of {len(planted)}, issues and hints as planted)"
    return (
        f"NO: {len(kept & planted)} of {len(planted)} planted found, {len(kept - planted)} unplanted kept, "
        f"{len(wrong)} with wrong issues or hints; missing {sorted(planted - kept)[:10]}"
    )


def swe_bench_cost(scanned: int, kept: int) -> int:
    """The SWE-bench collector's requests for the same PRs, as the issue estimates them."""
    return SWE_BENCH_PER_PR * scanned + SWE_BENCH_PER_CANDIDATE * kept


def list_floor(items: int) -> int:
    """Requests for the repository and the issues list (PRs included) alone, at 100 per page."""
    return 1 + math.ceil(items / 100)


def per_issue_cost(world: World, truth: SyntheticTruth) -> int:
    """What fetching the candidates' linked issues' comments one issue at a time would cost."""
    repo = world.get(REPO_NAME)
    assert repo is not None
    counts = Counter(c.issue_number for c in repo.comments)
    needed = {n for planted in truth.candidates.values() for n in planted.issue_numbers}
    return sum(math.ceil(counts[n] / 100) for n in needed)


def world_size(world: World) -> tuple[int, int, int]:
    """Pull requests, issues and comments of the synthetic repository."""
    repo = world.get(REPO_NAME)
    assert repo is not None
    return len(repo.pulls), len(repo.issues), len(repo.comments)


def print_run(title: str, run: Run, world: World, extra: list[tuple[str, str]]) -> None:
    """One run as a two-column table; `extra` rows go after the scan counts."""
    pulls, issues, _ = world_size(world)
    summary = run.summary
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(justify="left")
    table.add_column(justify="right")
    rows = [
        ("PRs in the world", str(pulls)),
        ("PRs scanned (decided this run)", f"{summary.scanned} ({summary.scanned - summary.already_done})"),
        ("candidates kept this run", str(summary.kept)),
        *extra,
        ("requests sent (fake server counter)", str(run.requests)),
        ("requests sent (miner's ApiStats.sent)", str(summary.api.sent)),
        ("  answered 200 / 304", f"{run.by_status[200]} / {run.by_status[304]}"),
        *((f"  {name}", str(count)) for name, count in sorted(run.by_endpoint.items())),
        ("requests per PR scanned", f"{run.per_pr:.4f}"),
        ("  floor: repo + issues list pages", f"{list_floor(pulls + issues)}"),
        ("PR bases asked of the API (fast-forwarded PRs)", str(summary.bases_asked)),
        (
            "comment strategy (estimated requests)",
            f"{summary.hint_plan.strategy} ({summary.hint_plan.estimated_requests})",
        ),
        ("seconds", f"{summary.seconds:.1f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def first_runs(args: argparse.Namespace, root: Path) -> None:
    """The first, second and incremental runs on one world and one workspace."""
    started = time.monotonic()
    world, truth = build_synthetic_world(
        root / "world",
        pulls=args.pulls,
        issues=args.issues,
        comments_per_issue=args.comments_per_issue,
        comments_per_pull=args.comments_per_pull,
        seed=args.seed,
    )
    pulls, issues, comments = world_size(world)
    landings = ", ".join(f"{n} {kind}" for kind, n in Counter(truth.landings.values()).most_common())
    console.print(
        f"World {REPO_NAME}: {pulls} PRs, {issues} issues, {comments} comments, "
        f"{len(truth.candidates)} planted candidates; merged PRs landed by {landings}; "
        f"built in {time.monotonic() - started:.1f}s\n"
    )
    workspace = Workspace.resolve(root / "workspace")
    with FakeGitHub(world, token=TOKEN, rate_limit=100_000) as fake:
        run = mine_once(fake, workspace)
        verdict = "holds" if run.per_pr <= TARGET else "MISSED"
        swe = swe_bench_cost(run.summary.scanned, run.summary.kept)
        print_run(
            "First run (empty workspace)",
            run,
            world,
            [
                ("kept = planted candidates?", truth_check(workspace, truth, set(truth.kinds))),
                (f"target <= {TARGET} requests per PR", verdict),
                (
                    "SWE-bench collector, same world (2/PR + 5/kept)",
                    f"{swe} ({swe / max(1, run.summary.scanned):.2f} per PR, "
                    f"{swe / max(1, run.requests):.0f}x ours)",
                ),
            ],
        )

        second = mine_once(fake, workspace)
        print_run("Second run (unchanged world, same workspace)", second, world, [])

        new = grow(world, args)
        grown = mine_once(fake, workspace)
        print_run(
            f"Incremental run (after {args.new_pulls} new PRs and {args.new_issues} new issues)",
            grown,
            world,
            [
                (
                    "new PRs: planted candidates / kept = planted?",
                    f"{len(new.candidates)} / {truth_check(workspace, new, set(new.kinds))}",
                ),
                (
                    "SWE-bench collector, new PRs only (2/PR + 5/kept)",
                    str(swe_bench_cost(len(new.kinds), len(new.candidates))),
                ),
            ],
        )


def sensitivity(args: argparse.Namespace, root: Path) -> None:
    """A first run per comment density, each on its own world and empty workspace."""
    table = Table(
        title=(
            f"Comment density vs requests per PR ({args.pulls} PRs, {args.issues} issues, "
            "first run, empty workspace; same PRs in every row)"
        ),
        title_justify="left",
    )
    for column in (
        "density",
        "comments",
        "kept",
        "strategy",
        "per-issue would cost",
        "comment requests",
        "bases asked",
        "requests",
        "per PR",
        f"<= {TARGET}",
        "SWE-bench",
        "SWE-bench per PR",
    ):
        table.add_column(column, justify="right")
    for density in args.densities:
        where = root / f"density-{density}"
        world, truth = build_synthetic_world(
            where / "world",
            pulls=args.pulls,
            issues=args.issues,
            comments_per_issue=density,
            comments_per_pull=density,
            seed=args.seed,
        )
        with FakeGitHub(world, token=TOKEN, rate_limit=100_000) as fake:
            run = mine_once(fake, Workspace.resolve(where / "workspace"))
        summary = run.summary
        comment_requests = sum(n for name, n in run.by_endpoint.items() if "comments" in name)
        swe = swe_bench_cost(summary.scanned, summary.kept)
        table.add_row(
            f"{density:g}",
            str(world_size(world)[2]),
            str(summary.kept),
            summary.hint_plan.strategy,
            str(per_issue_cost(world, truth)),
            str(comment_requests),
            str(summary.bases_asked),
            str(run.requests),
            f"{run.per_pr:.4f}",
            "yes" if run.per_pr <= TARGET else "no",
            str(swe),
            f"{swe / max(1, summary.scanned):.2f}",
        )
    console.print(table)


def scaling(args: argparse.Namespace, root: Path) -> None:
    """Per world size: building it, the first run, two unchanged re-runs and an incremental run."""
    table = Table(
        title=(
            "Requests and seconds by repository size (as many issues as PRs; the re-runs and the "
            f"incremental run, +{args.new_pulls} PRs and +{args.new_issues} issues, on the first "
            "run's workspace)"
        ),
        title_justify="left",
    )
    for column in (
        "PRs",
        "world built s",
        "first run req",
        "first run s",
        "re-run req (200/304)",
        "re-run s",
        "2nd re-run req (200/304)",
        "2nd re-run s",
        "incremental req",
        "incremental s",
        "incremental kept = planted?",
    ):
        table.add_column(column, justify="right")
    for size in args.scale:
        where = root / f"scale-{size}"
        started = time.monotonic()
        world, _ = build_synthetic_world(
            where / "world",
            pulls=size,
            issues=size,
            comments_per_issue=args.comments_per_issue,
            comments_per_pull=args.comments_per_pull,
            seed=args.seed,
        )
        built = time.monotonic() - started
        workspace = Workspace.resolve(where / "workspace")
        with FakeGitHub(world, token=TOKEN, rate_limit=1_000_000) as fake:
            first = mine_once(fake, workspace)
            again = mine_once(fake, workspace)
            third = mine_once(fake, workspace)
            new = grow(world, args)
            grown = mine_once(fake, workspace)
        verdict = truth_check(workspace, new, set(new.kinds))

        def rerun(run: Run) -> str:
            return f"{run.requests} ({run.by_status[200]}/{run.by_status[304]})"

        table.add_row(
            str(size),
            f"{built:.1f}",
            str(first.requests),
            f"{first.summary.seconds:.1f}",
            rerun(again),
            f"{again.summary.seconds:.1f}",
            rerun(third),
            f"{third.summary.seconds:.1f}",
            str(grown.requests),
            f"{grown.summary.seconds:.1f}",
            verdict.split(" ", 1)[0],
        )
        console.print(
            f"{size} PRs done: first {first.requests} req {first.summary.seconds:.1f}s, "
            f"re-run {again.requests} req {again.summary.seconds:.1f}s; incremental kept = planted? {verdict}"
        )
    console.print(table)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pulls", type=int, default=1000, help="pull requests in the world")
    parser.add_argument("--issues", type=int, default=1000, help="issues in the world")
    parser.add_argument("--comments-per-issue", type=float, default=1.0, help="mean comments per issue")
    parser.add_argument("--comments-per-pull", type=float, default=1.0, help="mean comments per PR")
    parser.add_argument("--new-pulls", type=int, default=50, help="PRs added before the incremental run")
    parser.add_argument("--new-issues", type=int, default=25, help="issues added before the incremental run")
    parser.add_argument(
        "--densities",
        type=lambda text: [float(x) for x in text.split(",") if x.strip()],
        default=[0.5, 1.0, 2.0, 4.0],
        help="comma-separated comments per issue/PR for the sensitivity table ('' to skip it)",
    )
    parser.add_argument(
        "--scale",
        type=lambda text: [int(x) for x in text.split(",") if x.strip()],
        default=[],
        help="comma-separated PR counts (as many issues) for the size table instead of the other "
        "tables, e.g. 1000,5000,20000",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep worlds and workspaces in a new folder here (default: a temp dir, removed)",
    )
    return parser.parse_args()


def grow(world: World, args: argparse.Namespace) -> SyntheticTruth:
    """The incremental step of every mode: new PRs, issues and comments on the benchmark repo."""
    repo = world.get(REPO_NAME)
    assert repo is not None
    return grow_synthetic_world(
        repo,
        pulls=args.new_pulls,
        issues=args.new_issues,
        comments_per_issue=args.comments_per_issue,
        comments_per_pull=args.comments_per_pull,
        seed=args.seed + 1,
    )


def main() -> None:
    args = parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="mine-requests-", dir=args.workdir))
        console.print(f"Worlds and workspaces are kept under {root}\n")
        run_all(args, root)
        return
    with tempfile.TemporaryDirectory(prefix="mine-requests-") as scratch:
        run_all(args, Path(scratch))


def run_all(args: argparse.Namespace, root: Path) -> None:
    """Everything the benchmark prints, with worlds and workspaces under `root`."""
    if args.scale:
        scaling(args, root)
        return
    first_runs(args, root)
    if args.densities:
        sensitivity(args, root)


if __name__ == "__main__":
    main()
