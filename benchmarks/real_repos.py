"""Recipes on real repositories: sampled merged PRs through `versions` (and `build`/`validate`).

    python benchmarks/real_repos.py [--mirrors /work/.mirror] [--repo OWNER/NAME ...]
        [--per-repo 10] [--since 2021-01-01] [--until 2026-01-01] [--workdir DIR]
        [--build] [--validate] [--no-shipped-build | --no-drafted-build] [--max-attempts 4]
        [--attempt-minutes 60]

Each repository must be a bare mirror at `<mirrors>/OWNER+NAME/repo`. For each one about
`--per-repo` merged PRs are sampled from the default branch's first-parent history (squash
commits titled `... (#N)`, or merge commits of `refs/pull/N/head`): base = first parent, the diff
split into `patch`/`test_patch` by the shipped spec's `test_file_patterns` (else the generic test
rule), only PRs that change both Python code and tests, spread over the repository's versions.
Sampling is deterministic: the same mirrors give the same rows (kept under
`<workdir>/sample/`, so a second run with the same `--workdir` and options skips it).

The rows are written as SWE-Gym Raw into two fresh workspaces under `--workdir`, and `versions`
runs in each: once with the shipped specs, once with none, so the stage drafts. The drafted run
also drafts per version (each version's recipe read at its own environment commit, the way the
stage will once it passes the environment commits) and drafts everything a second time to check
the drafts are identical. `--build` then builds the env and instance images of both runs, each
(repo, version) recipe verified by the build (its env builds and collects the tests; for the
no-spec run, drafted candidates tried until one verifies, `--max-attempts` / `--attempt-minutes`)
and prints verified / tried envs with every attempt; `--no-shipped-build` builds only the no-spec
run, `--no-drafted-build` only the shipped one (the two can run side by side with different
`--workdir`s); `--validate` also validates them. Building takes many minutes per env on two cores. Prints
one table per run; exit status 0 whatever the numbers: this measures, it does not gate.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import docker
from fill_missing_blobs import fill_missing_blobs, missing_blobs
from stage_table import print_stage_table, workspace_rows

from swegym_build.errors import GitError, SpecError
from swegym_build.interrupt import Interrupted
from swegym_build.jsonl import read_jsonl, write_jsonl_atomically
from swegym_build.records import TaskInstance, instance_id_for, repo_slug
from swegym_build.specs import RepoSpec, draft_spec, load_spec, load_spec_file, write_draft
from swegym_build.specs.loader import SPECS_DIR_ENV, default_specs_dir
from swegym_build.specs.ranges import parse_version
from swegym_build.state import StateStore
from swegym_build.testpaths import is_test_path
from swegym_build.verify.build_env import VerifyOptions
from swegym_build.verify.loop import VerifyLimits
from swegym_build.verify.records import read_verifications
from swegym_build.versions import VersionOverride, infer_version
from swegym_build.versions.stage import VersionsSummary, run_versions
from swegym_build.workspace import Workspace

REPOS = (
    "getmoto/moto",
    "Project-MONAI/MONAI",
    "python/mypy",
    "dask/dask",
    "iterative/dvc",
    "conan-io/conan",
    "pydantic/pydantic",
    "facebookresearch/hydra",
    "bokeh/bokeh",
    "modin-project/modin",
)
_SQUASH = re.compile(r"\(#(\d+)\)\s*$")
_MERGE = re.compile(r"^Merge pull request #(\d+)\b")
# a PR whose diff is larger than this is not a task anyone would hand to a model
_MAX_CHANGED_LINES = 1500
# candidates whose version is read, per row wanted: enough to see most versions of the period
_POOL_FACTOR = 4


@dataclass(frozen=True)
class Candidate:
    sha: str
    base: str
    number: int
    date: str
    subject: str
    code: tuple[str, ...]
    tests: tuple[str, ...]


@dataclass
class RepoResult:
    repo: str
    sampled: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    shipped: VersionsSummary | None = None
    drafted: VersionsSummary | None = None
    stage_draft: RepoSpec | None = None
    per_version_draft: RepoSpec | None = None
    deterministic: bool | None = None
    problem: str = ""
    emptied: list[str] = field(default_factory=list)  # paths a mirror lacked, as empty files


def git(mirror: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(mirror), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=True,
    )
    return done.stdout


def pull_heads(mirror: Path) -> dict[str, int]:
    """head commit -> PR number, from `refs/pull/N/head`."""
    heads: dict[str, int] = {}
    for line in git(mirror, "for-each-ref", "--format=%(objectname) %(refname)", "refs/pull").splitlines():
        sha, ref = line.split(" ", 1)
        match = re.fullmatch(r"refs/pull/(\d+)/head", ref)
        if match:
            heads.setdefault(sha, int(match.group(1)))
    return heads


def candidates(mirror: Path, since: str, until: str, patterns: list[str] | None) -> list[Candidate]:
    """Merged PRs on the default branch between `since` and `until`, oldest first, that change
    Python code and tests and are not huge."""
    heads = pull_heads(mirror)
    # A bare date is that day at the current time of day to git: the window (and so the sample)
    # moved through the day (pydantic's PR 4406, then 4450, then 4455). Midnight UTC, explicitly.
    since, until = (f"{day} 00:00:00 +0000" if len(day) == 10 else day for day in (since, until))
    window = ("--first-parent", f"--since={since}", f"--until={until}", "--format=%x00%H %P%x01%cI%x01%s")
    try:
        out = git(mirror, "log", *window, "--diff-merges=first-parent", "--numstat", "--no-renames", "HEAD")
        blocks = [_split_block(block) for block in out.split("\x00")[1:]]
    except subprocess.CalledProcessError:
        # a mirror with missing objects: read the diffs one by one and skip the unreadable ones
        blocks = []
        for block in git(mirror, "log", *window, "HEAD").split("\x00")[1:]:
            header, _ = _split_block(block)
            parents = header[0].split()[1:]
            if not parents:
                continue
            try:
                stats = git(mirror, "diff", "--numstat", "--no-renames", parents[0], header[0].split()[0])
            except subprocess.CalledProcessError:
                continue
            blocks.append((header, stats))
    found: list[Candidate] = []
    seen: set[int] = set()
    for (shas, date, subject), stats in blocks:
        sha, *parents = shas.split()
        number = _pull_number(subject, parents, heads)
        if number is None or number in seen or not parents:
            continue
        changed, code, tests = 0, list[str](), list[str]()
        for line in stats.splitlines():
            parts = line.split("\t")
            if len(parts) != 3:
                continue
            added, deleted, path = parts
            if added == "-":  # a binary file cannot go into a text patch
                changed = _MAX_CHANGED_LINES + 1
                break
            changed += int(added) + int(deleted)
            (tests if is_test_path(path, patterns) else code).append(path)
        if changed > _MAX_CHANGED_LINES or not tests or not any(p.endswith(".py") for p in code):
            continue
        seen.add(number)
        found.append(Candidate(sha, parents[0], number, date, subject, tuple(code), tuple(tests)))
    return sorted(found, key=lambda c: (c.date, c.number))


def _split_block(block: str) -> tuple[tuple[str, str, str], str]:
    header, _, stats = block.partition("\n")
    shas, date, subject = header.split("\x01", 2)
    return (shas, date, subject), stats


def _pull_number(subject: str, parents: list[str], heads: dict[str, int]) -> int | None:
    if len(parents) == 1:
        match = _SQUASH.search(subject)
        return int(match.group(1)) if match else None
    if len(parents) == 2:
        if parents[1] in heads:
            return heads[parents[1]]
        match = _MERGE.match(subject)
        return int(match.group(1)) if match else None
    return None


def spread(items: list[Candidate], count: int) -> list[Candidate]:
    """`count` items evenly spaced over `items` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(step * i + step / 2)] for i in range(count)]


def sample(mirror: Path, spec: RepoSpec | None, per_repo: int, since: str, until: str) -> list[Candidate]:
    """About `per_repo` candidates spread over the versions their base commits declare."""
    pool = spread(
        candidates(mirror, since, until, spec.test_file_patterns if spec else None), per_repo * _POOL_FACTOR
    )
    override = VersionOverride(**spec.version_override_fields()) if spec else None
    by_version: dict[str, list[Candidate]] = {}
    for candidate in pool:
        info = infer_version(mirror, candidate.base, override)
        if info is not None:
            by_version.setdefault(info.version, []).append(candidate)
    versions = sorted(by_version, key=_version_order)
    queues = {version: _middle_first(members) for version, members in by_version.items()}
    chosen: list[Candidate] = []
    # one per version first (evenly spaced over the versions when there are more than rows
    # wanted), then again over the versions that have more, until the rows are there
    while len(chosen) < per_repo and any(queues.values()):
        live = [v for v in versions if queues[v]]
        for version in _spaced(live, per_repo - len(chosen)):
            chosen.append(queues[version].pop(0))
    return sorted(chosen, key=lambda c: (c.date, c.number))


def _middle_first(members: list[Candidate]) -> list[Candidate]:
    middle = (len(members) - 1) / 2
    return [m for _, m in sorted(enumerate(members), key=lambda p: (abs(p[0] - middle), p[0]))]


def _spaced(versions: list[str], count: int) -> list[str]:
    if len(versions) <= count:
        return versions
    step = len(versions) / count
    return [versions[int(step * i + step / 2)] for i in range(count)]


def _version_order(version: str) -> tuple[tuple[int, ...], str]:
    try:
        return parse_version(version).parts, version
    except SpecError:  # a non-numeric version sorts first, by its text
        return (), version


def to_row(mirror: Path, repo: str, candidate: Candidate) -> TaskInstance:
    def diff(paths: tuple[str, ...]) -> str:
        return git(
            mirror,
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            candidate.base,
            candidate.sha,
            "--",
            *paths,
        )

    statement = (
        f"{candidate.subject}\n\n(Stand-in problem statement written by benchmarks/real_repos.py: this row "
        f"was sampled from merged PR #{candidate.number}, whose code changes touch "
        f"{', '.join(candidate.code[:5])}{' ...' if len(candidate.code) > 5 else ''}.)"
    )
    return TaskInstance(
        repo=repo,
        instance_id=instance_id_for(repo, candidate.number),
        base_commit=candidate.base,
        patch=diff(candidate.code),
        test_patch=diff(candidate.tests),
        problem_statement=statement,
        hints_text="",
        created_at=candidate.date,
        pull_number=candidate.number,
        issue_numbers=[],
    )


def prepare_workspace(root: Path, rows: dict[str, list[TaskInstance]], mirrors: dict[str, Path]) -> Workspace:
    workspace = Workspace.resolve(root)
    for repo, instances in rows.items():
        write_jsonl_atomically(workspace.raw_file(repo), (i.to_dict() for i in instances))
        link = workspace.mirror_dir(repo)
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(mirrors[repo])
    return workspace


def versions_with(workspace: Workspace, specs_dir: Path, repos: list[str]) -> VersionsSummary:
    os.environ[SPECS_DIR_ENV] = str(specs_dir)
    state = StateStore(workspace.state_db)
    try:
        return run_versions(workspace, state, repos)
    finally:
        state.close()


def per_version_draft(mirror: Path, repo: str, summary: VersionsSummary) -> RepoSpec | None:
    """The draft made from each version's own environment commit."""
    commits = {version: commit for (r, version), (commit, _) in summary.versions.items() if r == repo}
    if not commits:
        return None
    newest = commits[max(commits, key=_version_order)]
    return draft_spec(mirror, newest, repo, versions=commits)


def build_and_validate(
    workspace: Workspace, specs_dir: Path, repos: list[str], validate: bool, verify: VerifyOptions
) -> dict[str, str]:
    """Build (verifying each (repo, version) recipe, candidates tried for drafted ones) and
    validate through the pipeline's stage functions; a line per stage."""

    from swegym_build.commands.build import run_build_stage
    from swegym_build.commands.validate import run_validate_stage
    from swegym_build.validate.stage import ValidateOptions

    os.environ[SPECS_DIR_ENV] = str(specs_dir)
    lines: dict[str, str] = {}
    started = time.monotonic()
    built = run_build_stage(workspace, repos, verify=verify)
    reasons = Counter(failure.reason for failure in built.report.problems)
    lines["build"] = (
        f"{sum(built.outcomes.values())} instances: {dict(built.outcomes)}; env images "
        f"{len(built.env_images)} ({sum(built.env_images.values()) / 1e9:.2f} GB); failures {dict(reasons)}; "
        f"{time.monotonic() - started:.0f} s"
    )
    lines["verify"] = verified_envs(workspace, repos)
    if validate:
        started = time.monotonic()
        judged = run_validate_stage(workspace, ValidateOptions(), repos)
        lines["validate"] = f"{dict(judged.outcomes)}; {time.monotonic() - started:.0f} s"
    return lines


def verified_envs(workspace: Workspace, repos: list[str]) -> str:
    """Verified / tried (repo, version) envs, from the build's `verified/` records: per env its
    status, attempts (label: outcome, seconds) and the recipe that won."""
    lines: list[str] = []
    verified = tried = 0
    for repo in repos:
        for version, record in sorted(
            read_verifications(workspace, repo).items(), key=lambda kv: _version_order(kv[0])
        ):
            tried += 1
            verified += record.status != "failed"
            steps = "; ".join(f"{a.label}: {a.outcome} ({a.seconds:.0f} s)" for a in record.attempts)
            lines.append(
                f"    {repo} {version}: {record.status} after {len(record.attempts)} attempts: {steps}"
            )
            last = record.attempts[-1] if record.attempts else None
            if record.status == "failed" and last is not None:
                lines.append(f"      why: {last.detail.splitlines()[0][:300] if last.detail else ''}")
    return f"{verified}/{tried} envs verified\n" + "\n".join(lines)


def describe(spec: RepoSpec | None) -> list[str]:
    if spec is None:
        return ["(no draft)"]
    lines = []
    for entry in spec.entries:
        recipe = entry.spec
        lines.append(
            f"    {entry.key:>14}: python {recipe.python}; install {list(recipe.install)}; "
            f"pip {len(recipe.pip_packages)}; apt {list(recipe.apt_packages)}; {recipe.test_cmd}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument(
        "--repo", action="append", help="OWNER/NAME (repeatable); default: the ten SWE-Gym repos"
    )
    parser.add_argument("--per-repo", type=int, default=10)
    parser.add_argument("--since", default="2021-01-01")
    parser.add_argument("--until", default="2026-01-01")
    parser.add_argument(
        "--workdir", type=Path, help="where the fresh workspaces go (default: a new temp folder)"
    )
    parser.add_argument("--build", action="store_true", help="also build env and instance images")
    parser.add_argument("--validate", action="store_true", help="also validate (implies --build)")
    parser.add_argument("--no-shipped-build", action="store_true", help="build only the no-spec run")
    parser.add_argument("--no-drafted-build", action="store_true", help="build only the shipped-spec run")
    parser.add_argument(
        "--fill-missing-blobs",
        action="store_true",
        help="measure a mirror that lacks blobs on a copy where they are empty files (fill_missing_blobs.py)",
    )
    defaults = VerifyLimits()
    parser.add_argument(
        "--max-attempts", type=int, default=defaults.max_attempts, help="build's --max-attempts"
    )
    parser.add_argument(
        "--attempt-minutes", type=float, default=defaults.minutes, help="build's --attempt-minutes"
    )
    args = parser.parse_args()

    root = args.workdir or Path(tempfile.mkdtemp(prefix="real_repos-"))
    root.mkdir(parents=True, exist_ok=True)
    shipped_specs = default_specs_dir()
    no_specs = root / "no-specs"
    no_specs.mkdir(exist_ok=True)
    drafts_dir = root / "per-version-drafts"
    results: dict[str, RepoResult] = {}
    rows: dict[str, list[TaskInstance]] = {}
    mirrors: dict[str, Path] = {}
    for repo in args.repo or REPOS:
        result = results.setdefault(repo, RepoResult(repo))
        mirror = args.mirrors / repo.replace("/", "+") / "repo"
        if not (mirror / "HEAD").exists():
            result.problem = f"no mirror at {mirror}"
            continue
        if args.fill_missing_blobs and missing_blobs(mirror):
            # rebuilt each run (seconds): the same mirror gives the same commit ids
            filled = root / "filled" / mirror.parent.name / "repo"
            shutil.rmtree(filled, ignore_errors=True)
            result.emptied = fill_missing_blobs(mirror, filled)
            print(f"{repo}: measured on {filled}, {len(result.emptied)} paths emptied: {result.emptied}")
            mirror = filled
        mirrors[repo] = mirror
        started = time.monotonic()
        # the sample is a pure function of the mirror and the options: kept to re-run quickly
        kept = root / "sample" / f"{repo_slug(repo)}.{args.per_repo}.{args.since}.{args.until}.jsonl"
        if kept.exists():
            rows[repo] = [TaskInstance.from_dict(row) for row in read_jsonl(kept)]
        else:
            try:
                chosen = sample(mirror, load_spec(repo, shipped_specs), args.per_repo, args.since, args.until)
                rows[repo] = [to_row(mirror, repo, c) for c in chosen]
            except (subprocess.CalledProcessError, GitError) as error:
                result.problem = f"mirror not readable: {error}"[:200]
                continue
            write_jsonl_atomically(kept, (row.to_dict() for row in rows[repo]))
        result.sampled = len(rows[repo])
        result.seconds["sample"] = time.monotonic() - started
    repos = sorted(rows)

    for stale in ("shipped", "drafted", "drafted-again", "per-version-drafts", "per-version-drafts-again"):
        shutil.rmtree(root / stale, ignore_errors=True)
    shipped_ws = prepare_workspace(root / "shipped", rows, mirrors)
    drafted_ws = prepare_workspace(root / "drafted", rows, mirrors)
    again_ws = prepare_workspace(root / "drafted-again", rows, mirrors)
    for repo in repos:
        result = results[repo]
        started = time.monotonic()
        result.shipped = versions_with(shipped_ws, shipped_specs, [repo])
        result.seconds["versions shipped"] = time.monotonic() - started
        started = time.monotonic()
        result.drafted = versions_with(drafted_ws, no_specs, [repo])
        result.seconds["versions drafted"] = time.monotonic() - started
        versions_with(again_ws, no_specs, [repo])
        stage_file, again_file = drafted_ws.draft_spec_file(repo), again_ws.draft_spec_file(repo)
        if stage_file.exists():
            result.stage_draft = load_spec_file(stage_file)
        started = time.monotonic()
        result.per_version_draft = per_version_draft(mirrors[repo], repo, result.drafted)
        result.seconds["per-version draft"] = time.monotonic() - started
        if result.per_version_draft is not None:
            first = drafts_dir / f"{repo_slug(repo)}.yaml"
            write_draft(result.per_version_draft, first)
            second = root / "per-version-drafts-again" / first.name
            again = per_version_draft(mirrors[repo], repo, result.drafted)
            assert again is not None
            write_draft(again, second)
            same_stage = stage_file.exists() and stage_file.read_text() == again_file.read_text()
            result.deterministic = same_stage and first.read_text() == second.read_text()

    stage_lines: dict[str, dict[str, str]] = {}
    tables: dict[str, Workspace] = {}
    try:
        _build_both(args, shipped_ws, drafted_ws, shipped_specs, no_specs, repos, stage_lines, tables)
    except Interrupted:
        # the stages removed their containers and recorded what finished: a rerun with the same
        # --workdir and SWEGYM_CACHE_DIR reuses every image built
        print(f"interrupted; the workspaces under {root} keep what finished", file=sys.stderr)
        return 130
    report(results, root, stage_lines)
    if tables:
        client = docker.from_env()
        for title, workspace in tables.items():
            print_stage_table(title, workspace_rows(workspace, client))
    return 0


def _build_both(
    args: argparse.Namespace,
    shipped_ws: Workspace,
    drafted_ws: Workspace,
    shipped_specs: Path,
    no_specs: Path,
    repos: list[str],
    stage_lines: dict[str, dict[str, str]],
    tables: dict[str, Workspace],
) -> None:
    """build (and validate) the shipped-spec and the no-spec workspaces, as the flags ask."""
    if args.build or args.validate:
        verify = VerifyOptions(VerifyLimits(args.max_attempts, args.attempt_minutes))
        if not args.no_shipped_build:
            stage_lines["shipped"] = build_and_validate(
                shipped_ws, shipped_specs, repos, args.validate, verify
            )
            tables["shipped specs"] = shipped_ws
        if not args.no_drafted_build:
            # no specs: the stage's drafts (one entry per era), candidates tried until one verifies
            stage_lines["drafted"] = build_and_validate(drafted_ws, no_specs, repos, args.validate, verify)
            tables["no specs (drafted)"] = drafted_ws


def report(results: dict[str, RepoResult], root: Path, stage_lines: dict[str, dict[str, str]]) -> None:
    print(f"workspaces and drafts under {root}\n")
    header = (
        f"{'repository':<26} {'rows':>4} {'versions':>8} {'shipped kept':>12} {'draft entries':>13} "
        f"{'same twice':>10}"
    )
    print(header)
    print("-" * len(header))
    for repo, result in results.items():
        if result.problem:
            print(f"{repo:<26} {result.problem}")
            continue
        shipped = result.shipped or VersionsSummary()
        versions = len({v for (r, v) in shipped.versions if r == repo} | _drafted_versions(result))
        entries = len(result.per_version_draft.entries) if result.per_version_draft else 0
        same = {True: "yes", False: "NO", None: "-"}[result.deterministic]
        print(
            f"{repo:<26} {result.sampled:>4} {versions:>8} "
            f"{shipped.outcomes.get('kept', 0):>7}/{result.sampled:<4} {entries:>13} {same:>10}"
        )
    print()
    for repo, result in results.items():
        if result.problem:
            continue
        rejected = Counter(
            {k: v for k, v in (result.shipped or VersionsSummary()).outcomes.items() if k != "kept"}
        )
        print(f"{repo}: sampled versions {sorted(_drafted_versions(result), key=_version_order)}")
        if result.emptied:
            print(f"  measured with {len(result.emptied)} files the mirror lacks emptied: {result.emptied}")
        if rejected:
            print(f"  shipped-spec rejections: {dict(rejected)}")
        print("  per-version draft:")
        print("\n".join(describe(result.per_version_draft)))
        warnings = result.per_version_draft.warnings if result.per_version_draft else ()
        print(f"  draft warnings: {len(warnings)}")
        for warning in warnings[:8]:
            print(f"    - {warning}")
        print("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()))
    for run, lines in stage_lines.items():
        for stage, line in lines.items():
            print(f"{run} {stage}: {line}")


def _drafted_versions(result: RepoResult) -> set[str]:
    summary = result.drafted or VersionsSummary()
    return {v for (r, v) in summary.versions if r == result.repo}


if __name__ == "__main__":
    sys.exit(main())
