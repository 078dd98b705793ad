"""pytest's terminal output -> `{node_id: status}`.

Only the outermost session counts: the lines of a session nested in it (a test that runs pytest
and prints its output) are skipped, as are lines after the session's closing `... in S s` line.
Three kinds of line are read in it and merged worst-wins:

- the "short test summary info" section (`-rA`; `-ra -rp` before pytest 4.5):
  `PASSED tests/test_x.py::test_a`, `FAILED tests/test_x.py::test_b - AssertionError: ...`,
  `ERROR tests/test_x.py - ImportError ...` (a collection error: the file is recorded as ERROR
  and its tests are absent), `XFAIL ...`, `XPASS ...`, and pytest 3's `FAIL`/`SKIP` words;
- verbose progress lines (`-v`), before the session's first `=== section ===` (later, in captured
  output, such a line is a test's print): `tests/test_x.py::test_a PASSED  [ 50%]`. They are the only
  place a skipped test's id appears unless pytest >= 8.3 runs with `--no-fold-skipped`, since
  `SKIPPED [2] tests/test_x.py:12: reason` names a location, not tests;
- `___ ERROR collecting tests/test_x.py ___` headers, for logs without a summary.

Test ids are node ids exactly as pytest prints them (relative to the rootdir, which is the
repository root in our containers; non-ASCII parameter ids stay escaped as pytest escapes them),
with pytest 3's `::()` instance component dropped so that old and new pytest give the same id.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from swegym_build.validate.parsers.registry import register
from swegym_build.validate.parsers.status import TestStatus, record_worst
from swegym_build.validate.parsers.text import clean_lines

_WORDS = {
    "PASSED": TestStatus.PASSED,
    "FAILED": TestStatus.FAILED,
    "ERROR": TestStatus.ERROR,
    "SKIPPED": TestStatus.SKIPPED,
    "XFAIL": TestStatus.XFAIL,
    "XPASS": TestStatus.XPASS,
    # The summary said FAIL and SKIP before pytest 4.5,
    "FAIL": TestStatus.FAILED,
    "SKIP": TestStatus.SKIPPED,
    # and verbose lines said xfail before pytest 5.
    "xfail": TestStatus.XFAIL,
}
_SUMMARY_HEADER = re.compile(r"^=+ short test summary info =+$")
# Any other `=== title ===` separator (the final counts, the next session) closes the summary.
_SEPARATOR = re.compile(r"^=+ .+ =+$")
_SUMMARY_LINE = re.compile(r"^(?P<word>PASSED|FAILED|FAIL|ERROR|SKIPPED|SKIP|XFAIL|XPASS) (?P<rest>.+)$")
# The id is matched lazily but the line is anchored at its end, so an id that contains a status
# word (`test_x[a PASSED b]`) still ends at the last one. Progress is `[ 50%]` or `[ 3/10]`.
_PROGRESS_LINE = re.compile(
    r"^(?P<node_id>\S+::.*?) (?P<word>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS|xfail)"
    r"(?: \(.*\))?(?:\s+\[\s*\d+(?:%|/\d+)\])?$"
)
_COLLECT_ERROR = re.compile(r"^_+ ERROR collecting (?P<path>\S+) _+$")
# A `]` that can close a parameter id: what follows an id is the end of the line, ` - message`
# or (XPASS before pytest 8) ` reason`.
_BRACKET_END = re.compile(r"\](?= |$)")


# Searched, not matched: with `-s` an inner session's header follows the outer line's file name.
_SESSION_HEADER = re.compile(r"(?:^| )=+ test session starts =+$")
# The closing line: `=== 4 failed, 8 passed, 2 errors in 0.11s ===`, `= 1 error in 0.08 seconds =`,
# `=== no tests ran in 0.01s ===`, `=== 2 passed in 65.32s (0:01:05) ===`.
_TOTALS = re.compile(r"^=+ (?P<body>(?:no tests ran|\d+ \w+.*?) in [\d.]+ ?s(?:econds)?(?: \([\d:]+\))?) =+$")
_TOTAL_ITEM = re.compile(r"(?P<count>\d+) (?P<word>\w+)")
# The totals' words and the status each counts; other words (warnings, deselected, rerun) are not statuses.
_TOTAL_WORDS = {
    "passed": TestStatus.PASSED,
    "failed": TestStatus.FAILED,
    "error": TestStatus.ERROR,
    "errors": TestStatus.ERROR,
    "skipped": TestStatus.SKIPPED,
    "xfailed": TestStatus.XFAIL,
    "xpassed": TestStatus.XPASS,
}
_FOLDED_COUNT = re.compile(r"^\[(?P<count>\d+)\] ")


@dataclass
class PytestRun:
    """What the outermost session(s) of a pytest log say.

    `counts` is how many reports of each status the log lists (summary lines, else verbose
    lines), `totals` what the closing line says; a run is trustworthy only when both exist and
    agree. `None` totals: no closing line (the run was cut off, or this is not pytest output).
    """

    statuses: dict[str, TestStatus] = field(default_factory=dict)
    counts: Counter[TestStatus] = field(default_factory=Counter)
    totals: Counter[TestStatus] | None = None


@register("pytest")
def parse_pytest(log: str, exit_code: int | None) -> dict[str, TestStatus]:
    """Statuses by node id from a pytest log (`-rA` summary, `-v` lines, or both); ignores `exit_code`."""
    return read_pytest_run(log).statuses


def read_pytest_run(log: str) -> PytestRun:
    """Statuses, report counts and closing totals of the log's outermost pytest session(s)."""
    run = PytestRun()
    closed = True
    for session in _outermost_sessions(clean_lines(log)):
        _read_session(session.lines, run)
        if session.totals is None:
            closed = False
        elif closed:
            run.totals = (run.totals or Counter()) + session.totals
    if not closed:
        run.totals = None
    return run


# `SKIPPED [2] tests/test_x.py:12: could not import 'tables': No module named 'tables'`
_SKIP_REASON = re.compile(r"^\[(?P<count>\d+)\] \S+?:\d+: (?P<reason>.+)$")


def skip_reasons(log: str) -> Counter[str]:
    """How many tests the log's short test summary skipped for each reason (`-rA` or `-rs`).

    The reasons say why a test proved nothing on a side: an optional dependency the env lacks
    (`could not import 'tables'`), a platform or a marker the run did not select.
    """
    reasons: Counter[str] = Counter()
    for session in _outermost_sessions(clean_lines(log)):
        for word, rest in _summary_entries(session.lines):
            if word in ("SKIPPED", "SKIP") and (found := _SKIP_REASON.match(rest)):
                reasons[found["reason"].strip()] += int(found["count"])
    return reasons


# `E   ModuleNotFoundError: No module named 'hydra_plugins'`: the exception a traceback ended in
_RAISED = re.compile(r"^E\s+(?P<error>(?:[\w.]+\.)?(?!AssertionError)\w+(?:[Ee]rror|Exception|Warning): .+)$")


def raised_errors(log: str) -> Counter[str]:
    """How often each exception (other than a failed assert; warnings made errors included)
    ended a traceback of the log.

    An import error that ends every traceback is the env's (a module the recipe does not
    install), not the task's.
    """
    return Counter(found["error"].strip() for line in clean_lines(log) if (found := _RAISED.match(line)))


@dataclass
class _Session:
    lines: list[str] = field(default_factory=list)
    totals: Counter[TestStatus] | None = None
    end: int = 0  # lines after the last closing line are not the session's


def _outermost_sessions(lines: list[str]) -> list[_Session]:
    """The top-level sessions, without the lines of sessions nested in them.

    A test that runs pytest itself prints that inner session's header and closing line inside
    its captured output; they nest like brackets. Only depth-1 lines count, up to the last
    closing line before the next top-level header. A log without any header (a fragment) is
    one session.
    """
    if not any(_SESSION_HEADER.search(line) for line in lines):
        sessions = [_Session()]
        depth = 1
    else:
        sessions, depth = [], 0
    for line in lines:
        if _SESSION_HEADER.search(line):
            if depth == 0:
                sessions.append(_Session())
            depth += 1
            continue
        if not sessions:
            continue
        session = sessions[-1]
        if totals := _TOTALS.match(line):
            if depth <= 1:
                session.lines.append(line)
                session.totals, session.end, depth = _totals(totals["body"]), len(session.lines), 0
            else:
                depth -= 1
            continue
        if depth <= 1:
            session.lines.append(line)
    for session in sessions:
        if session.totals is not None:
            del session.lines[session.end :]
    return sessions


def _totals(body: str) -> Counter[TestStatus]:
    totals: Counter[TestStatus] = Counter()
    for item in _TOTAL_ITEM.finditer(body):
        if item["word"] in _TOTAL_WORDS:
            totals[_TOTAL_WORDS[item["word"]]] += int(item["count"])
    return totals


def _read_session(lines: list[str], run: PytestRun) -> None:
    progress_counts: Counter[TestStatus] = Counter()
    collect_errors = 0
    in_progress = True
    for line in lines:
        if _SEPARATOR.match(line):
            in_progress = False  # verbose lines come before the first section (ERRORS, FAILURES, ...)
        elif in_progress and (progress := _PROGRESS_LINE.match(line)):
            status = _WORDS[progress["word"]]
            record_worst(run.statuses, _normalise(progress["node_id"]), status)
            progress_counts[status] += 1
        elif collect_error := _COLLECT_ERROR.match(line):
            record_worst(run.statuses, collect_error["path"], TestStatus.ERROR)
            collect_errors += 1

    entries = [(word, _normalise(rest)) for word, rest in _summary_entries(lines)]
    # A PASSED line never carries a message, so its whole text is an id; these ids and the
    # verbose ones settle where an id ends when a parameter id itself contains "] ".
    known = set(run.statuses) | {rest for word, rest in entries if word == "PASSED"}
    summary_counts: Counter[TestStatus] = Counter()
    for word, rest in entries:
        status = _WORDS[word]
        if word in ("SKIPPED", "SKIP") and (folded := _FOLDED_COUNT.match(rest)):
            summary_counts[status] += int(folded["count"])
            continue
        summary_counts[status] += 1
        record_worst(run.statuses, _leading_node_id(rest, known), status)
    if entries:
        run.counts += summary_counts
    else:
        progress_counts[TestStatus.ERROR] += collect_errors
        run.counts += progress_counts


def _summary_entries(lines: list[str]) -> Iterator[tuple[str, str]]:
    """(word, rest of line) for each status line inside a short-test-summary section.

    Only lines inside the section count: elsewhere (captured output, tracebacks) a line may
    start with a status word by accident.
    """
    in_summary = False
    for line in lines:
        if _SUMMARY_HEADER.match(line):
            in_summary = True
        elif _SEPARATOR.match(line):
            in_summary = False
        elif in_summary and (entry := _SUMMARY_LINE.match(line)):
            yield entry["word"], entry["rest"]


def _leading_node_id(rest: str, known: set[str]) -> str:
    """The node id that starts `rest`, which may go on with ` - message` or ` reason`.

    Without a parameter id the node id is the first word (paths and Python names hold no
    spaces). A parameter id may hold spaces, ` - ` and `]`, so splitting on the first ` - `
    (as SWE-bench does) breaks `test_x[a - b]`: instead the id ends at a `]` that is followed
    by a space or the end of the line, the first such one unless a longer one is a known id.
    """
    first_word = rest.split(" ", 1)[0]
    names_at = first_word.find("::")
    if names_at == -1 or "[" not in first_word[names_at:]:
        return first_word
    params_at = first_word.index("[", names_at)
    candidates = [rest[: end.end()] for end in _BRACKET_END.finditer(rest, params_at)]
    for candidate in reversed(candidates):
        if candidate in known:
            return candidate
    # No closing bracket at all: the log was cut off mid-line (a killed run); keep what is there.
    return candidates[0] if candidates else first_word


def _normalise(node_id: str) -> str:
    """Drop pytest 3's `::()` instance component (`test_x.py::TestK::()::test_m`)."""
    return node_id.replace("::()", "")
