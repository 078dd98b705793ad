"""Whether a pull request becomes a candidate task, and if so its base commit and patches.

Everything here reads the local mirror and the already-fetched lists; the one exception is a
PR whose base git cannot tell (see `bases`), which costs one request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from swegym_build.mine.bases import BaseFinder
from swegym_build.mine.linking import closing_references
from swegym_build.mine.listing import IssueItem, PullItem
from swegym_build.mine.mirror import Mirror, PullHead
from swegym_build.testpaths import is_test_path

# Rejection reasons, as stored in the state store and shown in summaries.
NOT_MERGED = "not_merged"
NO_LINKED_ISSUE = "no_linked_issue"
HEAD_MISSING = "head_missing"
NO_MERGE_BASE = "no_merge_base"
EMPTY_DIFF = "empty_diff"
DIFF_TOO_LARGE = "diff_too_large"
NO_TEST_CHANGE = "no_test_change"
NO_CODE_CHANGE = "no_code_change"
BINARY_PATCH = "binary_patch"


@dataclass(frozen=True)
class DiffLimits:
    max_files: int = 100
    max_patch_bytes: int = 1_000_000
    allow_binary: bool = True
    test_patterns: tuple[str, ...] | None = None

    def key(self) -> str:
        """What about the limits changes a decision (part of a PR's resume key)."""
        return f"{self.max_files}:{self.max_patch_bytes}:{self.allow_binary}:{self.test_patterns}"


@dataclass(frozen=True)
class Rejected:
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Candidate:
    pull: PullItem
    issue_numbers: list[int]
    base_commit: str
    patch: str
    test_patch: str
    first_commit_at: datetime
    notes: list[str] = field(default_factory=list)


def decide(
    pull: PullItem,
    pull_head: PullHead | None,
    repo: str,
    issues: Mapping[int, IssueItem],
    mirror: Mirror,
    bases: BaseFinder,
    limits: DiffLimits,
) -> Candidate | Rejected:
    if pull.merged_at is None:
        return Rejected(NOT_MERGED, "still open" if pull.state == "open" else "closed without merging")
    if pull_head is None:
        return Rejected(HEAD_MISSING, f"the mirror has no refs/pull/{pull.number}/head")
    head = pull_head.sha
    if not mirror.has_commit(head):
        return Rejected(HEAD_MISSING, f"head {head[:12]} is not in the mirror")
    base_commit = bases.base_commit(pull.number, head)
    if base_commit is None:
        return Rejected(NO_MERGE_BASE, f"head {head[:12]} shares no history with the branch it landed on")
    commits = mirror.commits(base_commit, head)
    if not commits:
        return Rejected(EMPTY_DIFF, "the head adds no commit to its base")

    texts = [pull.title, pull.body, *(c.message for c in commits)]
    linked, ignored = _linked_issues(texts, repo, issues)
    if not linked:
        return Rejected(NO_LINKED_ISSUE, "; ".join(ignored))

    changed = mirror.changed_files(base_commit, head)
    if not changed:
        return Rejected(EMPTY_DIFF, "no file differs between base and head")
    if len(changed) > limits.max_files:
        return Rejected(DIFF_TOO_LARGE, f"{len(changed)} files changed (limit {limits.max_files})")
    binary = [f.path for f in changed if f.binary]
    if binary and not limits.allow_binary:
        return Rejected(BINARY_PATCH, ", ".join(binary))
    tests = [f.path for f in changed if is_test_path(f.path, limits.test_patterns)]
    test_set = set(tests)
    code = [f.path for f in changed if f.path not in test_set]
    if not tests:
        return Rejected(NO_TEST_CHANGE, f"{len(code)} non-test files changed, no test file")
    if not code:
        return Rejected(NO_CODE_CHANGE, f"only test files changed: {', '.join(tests[:5])}")

    patch = mirror.diff(base_commit, head, code)
    test_patch = mirror.diff(base_commit, head, tests)
    size = len(patch.encode()) + len(test_patch.encode())
    if size > limits.max_patch_bytes:
        return Rejected(DIFF_TOO_LARGE, f"diff is {size} bytes (limit {limits.max_patch_bytes})")
    notes = [f"binary files kept in git's binary format: {', '.join(binary)}"] if binary else []
    return Candidate(
        pull=pull,
        issue_numbers=linked,
        base_commit=base_commit,
        patch=patch,
        test_patch=test_patch,
        first_commit_at=min(c.authored_at for c in commits),
        notes=notes,
    )


def _linked_issues(
    texts: Sequence[str], repo: str, issues: Mapping[int, IssueItem]
) -> tuple[list[int], list[str]]:
    """Numbers of same-repository issues the texts close, and why other references were ignored."""
    linked: set[int] = set()
    ignored: list[str] = []
    for text in texts:
        for ref in closing_references(text):
            label = f"{ref.repo or ''}#{ref.number}"
            if not ref.points_to(repo):
                ignored.append(f"{label} is in another repository")
            elif ref.number not in issues:
                ignored.append(f"{label} is a pull request or unknown")
            else:
                linked.add(ref.number)
    if not linked and not ignored:
        ignored.append("no closing keyword in title, body or commit messages")
    return sorted(linked), sorted(set(ignored))
