"""Which Python a commit's environment gets.

The CI matrix at the commit says what was tested then; classifiers are the fallback (they lag
behind CI in many projects); with neither, the newest Python that had been out for a year. A
version released less than three months before the commit is passed over when an older tested one
exists (its wheels were still missing then). `python_requires` bounds every choice. The newest
tested version the base images provide is taken; when none is, the newest tested one is moved to
the nearest version they provide.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from swegym_build.pythons.provider import python_versions_available
from swegym_build.specs.drafting.snapshot import Findings

# First release date of each CPython minor version.
PYTHON_RELEASES = (
    ("2.7", "2010-07-03"),
    ("3.5", "2015-09-13"),
    ("3.6", "2016-12-23"),
    ("3.7", "2018-06-27"),
    ("3.8", "2019-10-14"),
    ("3.9", "2020-10-05"),
    ("3.10", "2021-10-04"),
    ("3.11", "2022-10-24"),
    ("3.12", "2023-10-02"),
    ("3.13", "2024-10-07"),
    ("3.14", "2025-10-07"),
)
_SETTLE_DAYS = 365
_FRESH_DAYS = 90
_RELEASED = {v: datetime.fromisoformat(d).replace(tzinfo=timezone.utc) for v, d in PYTHON_RELEASES}


def choose_python(
    found: Findings,
    when: datetime,
    matrix: list[tuple[str, list[str]]],
    classifiers: list[tuple[str, list[str]]],
) -> str:
    """The Python for a commit made at `when`, with `found.provenance["python"]` saying why.

    `matrix` and `classifiers` are (source file, versions listed) pairs.
    """
    moment = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    requires = found.requires_python
    python: str | None = None
    for kind, listed in (("CI matrix", matrix), ("classifiers", classifiers)):
        versions = sorted({v for _, vs in listed for v in vs if _is_minor(v)}, key=as_tuple)
        usable = [v for v in versions if allowed(v, requires) and v in _RELEASED and _RELEASED[v] <= moment]
        settled = [v for v in usable if (moment - _RELEASED[v]).days >= _FRESH_DAYS] or usable
        # a tested version the base images provide beats the nearest neighbour of a newer one
        provided = [v for v in settled if v in python_versions_available()]
        best = (provided or settled)[-1] if settled else None
        if best:
            python = best
            sources = ", ".join(sorted({path for path, _ in listed}))
            found.note("python", f"{sources} {kind} (newest tested and released by {moment:%Y-%m-%d})")
            break
    if python is None:
        python = _python_for_date(moment, requires)
        bound = f" within python_requires {requires!r}" if requires else ""
        found.note(
            "python", f"no classifier or CI matrix; newest Python out for a year by {moment:%Y-%m-%d}{bound}"
        )
    providable = nearest_providable(python, requires)
    if providable != python:
        found.provenance["python"] += (
            f"; {python} wanted, {providable} is the nearest the base images provide"
        )
    return providable


def released_by(version: str, moment: datetime) -> bool:
    """Whether CPython `version` was out at `moment` (an unknown version counts as out)."""
    released = _RELEASED.get(version)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return released is None or released <= moment


def _python_for_date(moment: datetime, requires: str | None) -> str:
    """The newest Python settled by `moment`, kept within the bounds of `requires` when given."""
    settled = [v for v, released in _RELEASED.items() if (moment - released).days >= _SETTLE_DAYS]
    allowed_versions = [v for v, _ in PYTHON_RELEASES if allowed(v, requires)]
    choices = [v for v in settled if v in allowed_versions]
    if choices:
        return choices[-1]
    return allowed_versions[0] if allowed_versions else PYTHON_RELEASES[-1][0]


def nearest_providable(wanted: str, requires: str | None) -> str:
    """`wanted` if the base tier can provide it, else the nearest version it can (older first on a
    tie) within `requires`; `wanted` itself when none fits, so the build says why it cannot."""
    candidates = [v for v in python_versions_available() if allowed(v, requires)]
    if wanted in candidates or not candidates:
        return wanted
    goal = as_tuple(wanted)
    return min(
        candidates,
        key=lambda v: (
            abs(as_tuple(v)[1] - goal[1]) if as_tuple(v)[0] == goal[0] else 99,
            as_tuple(v) > goal,
        ),
    )


def allowed(version: str, requires: str | None) -> bool:
    """Whether `version` (`3.11`) satisfies a `python_requires` string, on its written precision."""
    if not requires:
        return True
    key = as_tuple(version)
    for clause in requires.split(","):
        match = re.match(r"\s*(>=|<=|==|!=|>|<|~=)\s*(\d+(?:\.\d+)*)", clause)
        if not match:
            continue
        op, bound = match.group(1), as_tuple(match.group(2))
        # compare on the precision the bound is written in: "<3.12" is about minor versions
        ours = key[: len(bound)] + (0,) * (len(bound) - len(key))
        ok = {
            ">=": ours >= bound,
            ">": ours > bound,
            "<=": ours <= bound,
            "<": ours < bound,
            "==": ours == bound,
            "!=": ours != bound,
            "~=": ours >= bound,
        }[op]
        if not ok:
            return False
    return True


def _is_minor(version: str) -> bool:
    return re.match(r"^\d+\.\d+$", version) is not None


def as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))
