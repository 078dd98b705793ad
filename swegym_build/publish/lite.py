"""The Lite split: SWE-bench Lite's published selection rules applied to our instances.

SWE-bench Lite (`swebench/collect/make_lite/` in the SWE-bench repository: the README lists the
rules, `make_lite.py` and `criteria.py` implement them) keeps an instance only when

- the problem statement has more than 40 words (`leq_n_words(text, 40)` excludes 40 or fewer;
  the README's wording is "fewer than 40") and no URL, issue or pull-request reference, 40-hex
  commit SHA (or Django's bracketed 23-hex form) or image/video file name;
- the gold patch creates or removes no file, modifies at most one file, and has between 1 and 3
  hunks in its modified files;
- the test patch does not check error messages (`pytest.raises`/`warns`/`deprecated_call` with a
  `match`, or Django's `assertOutput`/`assertRaises`/`checks.Error`).

The rules are applied to the text exactly as SWE-bench does, quirks included (for instance the
error-message test looks at the whole test patch, context lines too), so our Lite split is
selected by the same yardstick. The one difference is forced by running offline: SWE-bench treats a
bare `#123` as a reference only when `github.com/<repo>/issues/123` answers 200; we cannot ask, so
every `#<digits>` counts. That can only exclude more, never admit an instance SWE-bench would drop.
"""

from __future__ import annotations

import re

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from swegym_build.records import TaskInstance

MIN_WORDS = 40
MAX_FILES = 1
MAX_HUNKS = 3

#: Why an instance is not in Lite: reason code -> the rule it broke (for the dataset card).
LITE_RULES: dict[str, str] = {
    "short_problem_statement": f"problem statement has {MIN_WORDS} words or fewer",
    "hyperlink": "problem statement contains a URL",
    "issue_reference": "problem statement references an issue or pull request (`#123`)",
    "commit_hash": "problem statement contains a commit SHA",
    "image": "problem statement refers to an image or video file",
    "unparseable_patch": "gold patch is not a unified diff",
    "adds_or_removes_files": "gold patch creates or deletes a file",
    "edits_several_files": f"gold patch modifies more than {MAX_FILES} file",
    "hunk_count": f"gold patch has no hunk or more than {MAX_HUNKS} hunks",
    "checks_error_messages": "test patch checks error messages",
}

# SWE-bench's repository-exempting lookahead never matches (it looks for "http://github.com/..."
# right after "https://"), so in effect every URL excludes an instance; we do the same, plainly.
_URL = re.compile(r"https?://\S+|\bwww\.\S+")
_ISSUE_REFERENCE = re.compile(r"#\d+")
_COMMIT_SHA = re.compile(r"(?<!/)\b[0-9a-f]{40}\b")
_DJANGO_COMMIT = re.compile(r"\[[0-9a-f]{23}\]")
_MEDIA_EXTENSIONS = [
    *(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tiff", ".svg", ".webp", ".ico", ".heif", ".bpg", ".avif"),
    *(".mp4", ".avi", ".mkv", ".mov", ".wmv", ".flv", ".webm", ".mpeg"),
]
_MEDIA = re.compile(r"\b({})\b".format("|".join(map(re.escape, _MEDIA_EXTENSIONS))), re.IGNORECASE)
_MATCHING_ASSERTIONS = ("pytest.raises", "pytest.warns", "pytest.deprecated_call")
_DJANGO_MESSAGE_ASSERTIONS = ("assertOutput", "assertRaises", "checks.Error")


def lite_verdict(instance: TaskInstance) -> tuple[bool, str]:
    """`(True, "")` when the instance belongs in Lite, else `(False, reason)`.

    `reason` is a key of `LITE_RULES`: the first rule broken, checked in SWE-bench's order
    (problem statement, gold patch, test patch).
    """
    reason = (
        _problem_statement_reason(instance.problem_statement)
        or _patch_reason(instance.patch)
        or _test_patch_reason(instance.test_patch)
    )
    return (not reason, reason)


def _problem_statement_reason(text: str) -> str:
    if len(text.split()) <= MIN_WORDS:
        return "short_problem_statement"
    if _URL.search(text):
        return "hyperlink"
    if _ISSUE_REFERENCE.search(text):
        return "issue_reference"
    if _COMMIT_SHA.search(text) or _DJANGO_COMMIT.search(text):
        return "commit_hash"
    if _MEDIA.search(text):
        return "image"
    return ""


def _patch_reason(patch_text: str) -> str:
    try:
        patch = PatchSet(patch_text)
    except UnidiffParseError:
        return "unparseable_patch"
    if patch.added_files or patch.removed_files:
        return "adds_or_removes_files"
    if len(patch.modified_files) > MAX_FILES:
        return "edits_several_files"
    hunks = sum(len(patched_file) for patched_file in patch.modified_files)
    if not 0 < hunks <= MAX_HUNKS:
        return "hunk_count"
    return ""


def _test_patch_reason(test_patch: str) -> str:
    # Substring tests on the whole patch, as SWE-bench does: a `match=` anywhere next to a
    # `pytest.raises` counts, and any Django `assertRaises` counts (it may compare messages).
    if any(marker in test_patch for marker in _MATCHING_ASSERTIONS):
        return "checks_error_messages" if "match" in test_patch else ""
    if any(marker in test_patch for marker in _DJANGO_MESSAGE_ASSERTIONS):
        return "checks_error_messages"
    return ""
