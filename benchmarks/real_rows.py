"""SWE-Gym Raw rows from a real repository's merged PRs, read from a local bare mirror (no GitHub).

A squash-merged PR is one first-parent commit on the default branch whose subject ends in
`(#N)`: its parent is the base commit, and its diff, split into `test_patch` (test files, by the
spec's `test_file_patterns` or the shared rule in swegym_build/testpaths.py) and `patch` (the
rest), is the task. The problem statement is a stand-in (the commit's own message): there is no
issue text without GitHub. Rows are picked evenly over time within each release-tag range given,
so the environments of several versions get exercised.

    python benchmarks/real_rows.py /work/.mirror/getmoto+moto/repo --repo getmoto/moto \\
        --range 4.0.0..5.0.0 --range 5.0.0..HEAD --count 25 --out raw.jsonl
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path
from typing import Any

from swegym_build.jsonl import write_jsonl_atomically
from swegym_build.records import TaskInstance, instance_id_for
from swegym_build.specs import load_spec
from swegym_build.testpaths import is_test_path

_SQUASH = re.compile(r"\(#(\d+)\)$")
MAX_FILES = 30
MAX_PATCH_BYTES = 100_000


def _git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=mirror, capture_output=True, text=True, check=True).stdout


def _candidates(mirror: Path, revisions: str) -> list[tuple[str, str, int, str]]:
    """(sha, commit date, PR number, subject) of the squash merges in `revisions`, oldest first."""
    out = _git(
        mirror, "log", "--first-parent", "--no-merges", "--reverse", "--format=%H%x00%cI%x00%s", revisions
    )
    found = []
    for line in out.splitlines():
        sha, date, subject = line.split("\0", 2)
        match = _SQUASH.search(subject.strip())
        if match:
            found.append((sha, date, int(match.group(1)), subject.strip()))
    return found


def _split(mirror: Path, sha: str, patterns: list[str] | None) -> tuple[str, str] | None:
    """(patch, test_patch) of `sha` against its parent, or None when it is not a task."""
    names = [n for n in _git(mirror, "diff", "--name-only", f"{sha}^", sha).splitlines() if n]
    tests = [n for n in names if is_test_path(n, patterns)]
    code = [n for n in names if n not in tests]
    if not tests or not code or len(names) > MAX_FILES or not any(n.endswith(".py") for n in code):
        return None
    patch = _git(mirror, "diff", "--binary", f"{sha}^", sha, "--", *code)
    test_patch = _git(mirror, "diff", "--binary", f"{sha}^", sha, "--", *tests)
    if len(patch) + len(test_patch) > MAX_PATCH_BYTES:
        return None
    return patch, test_patch


def real_rows(mirror: Path, repo: str, ranges: list[str], count: int) -> list[dict[str, Any]]:
    """About `count` rows, split evenly over `ranges` and spread evenly in time within each."""
    spec = load_spec(repo)
    patterns = spec.test_file_patterns if spec else None
    rows: list[dict[str, Any]] = []
    for index, revisions in enumerate(ranges):
        wanted = count // len(ranges) + (1 if index < count % len(ranges) else 0)
        candidates = _candidates(mirror, revisions)
        picked: list[dict[str, Any]] = []
        # walk evenly spaced starting points; take the first usable commit from each
        step = max(1, len(candidates) // max(1, wanted))
        for start in range(0, len(candidates), step):
            if len(picked) == wanted:
                break
            for sha, date, number, subject in candidates[start : start + step]:
                split = _split(mirror, sha, patterns)
                if split is None:
                    continue
                body = _git(mirror, "show", "-s", "--format=%b", sha).strip()
                picked.append(
                    TaskInstance(
                        repo=repo,
                        instance_id=instance_id_for(repo, number),
                        base_commit=_git(mirror, "rev-parse", f"{sha}^").strip(),
                        patch=split[0],
                        test_patch=split[1],
                        problem_statement=f"{subject}\n\n{body}".strip(),
                        hints_text="",
                        created_at=date,
                        pull_number=number,
                        issue_numbers=[],
                    ).to_dict()
                )
                break
        rows += picked
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mirror", type=Path, help="a bare mirror of the repository")
    parser.add_argument("--repo", required=True, help="OWNER/NAME")
    parser.add_argument(
        "--range", action="append", required=True, help="git revision range, e.g. 4.0.0..5.0.0"
    )
    parser.add_argument("--count", type=int, default=25)
    parser.add_argument("--out", type=Path, required=True, help="the raw .jsonl to write")
    args = parser.parse_args()
    rows = real_rows(args.mirror, args.repo, args.range, args.count)
    write_jsonl_atomically(args.out, rows)
    print(f"{len(rows)} rows -> {args.out}")
    for row in rows:
        print(f"  {row['instance_id']}  {row['created_at']}  base {row['base_commit'][:12]}")


if __name__ == "__main__":
    main()
