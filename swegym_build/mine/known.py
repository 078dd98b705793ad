"""The issues list as the runs so far have seen it, and the moment from which it is complete.

A re-run pages the issues list only from the last complete run's high-water mark (GitHub's
`since`: items updated at or after it) instead of from the beginning. What `since` leaves out
is every item not touched since: the old issue a new PR links (its title, body and comment
count make the problem statement and the hints plan), and every PR whose decision is already
stored. So every item listed is kept here, and a run works on these items updated with what
`since` returned, exactly as if it had paged the whole list.

The mark is the newest `updated_at` known, but never later than a few minutes before the
listing began: an item updated while the pages were read may have been read before the change,
and an update carries the server's clock, which may run behind ours. It is written only when a
run has finished (`advance`), so a run stopped at any point pages again from the previous
mark; the items it listed are kept as it goes (they are what the server said, whichever run
asked). Deleting the file makes the next run page the whole list again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

from swegym_build.mine.listing import IssueItem

# How far behind our clock the server's may be, and how long a listing may take to read a page.
CLOCK_SLACK = timedelta(minutes=5)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    number      INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    comments    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    is_pull     INTEGER NOT NULL,
    state       TEXT NOT NULL,
    merged_at   TEXT
);
CREATE TABLE IF NOT EXISTS marks (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
"""
_MARK = "complete_since"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def high_water_mark(items: Iterable[IssueItem], listing_started: datetime) -> datetime | None:
    """Where the next listing may start: the newest update known, at most `CLOCK_SLACK` before
    the listing began (None: nothing listed yet)."""
    newest = max((item.updated_at for item in items), default=None)
    if newest is None:
        return None
    return min(newest, listing_started - CLOCK_SLACK)


class KnownItems:
    """`listing/OWNER__NAME.sqlite` in the workspace: one row per issue or PR, and the mark.

    A connection per call: a run makes four, and nothing stays open between them.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    def _connect(self) -> closing[sqlite3.Connection]:
        return closing(sqlite3.connect(self.path, isolation_level=None, timeout=30))

    def items(self) -> dict[int, IssueItem]:
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM items ORDER BY number").fetchall()
        return {
            row[0]: IssueItem(
                number=row[0],
                title=row[1],
                body=row[2],
                comments=row[3],
                created_at=_moment(row[4]),
                updated_at=_moment(row[5]),
                is_pull=bool(row[6]),
                state=row[7],
                merged_at=_moment(row[8]) if row[8] else None,
            )
            for row in rows
        }

    def update(self, items: Iterable[IssueItem]) -> None:
        """Keep `items` as listed, replacing what was known of them (one transaction)."""
        rows = [
            (
                i.number,
                i.title,
                i.body,
                i.comments,
                _stamp(i.created_at),
                _stamp(i.updated_at),
                int(i.is_pull),
                i.state,
                _stamp(i.merged_at) if i.merged_at else None,
            )
            for i in items
        ]
        with self._connect() as conn:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")

    def mark(self) -> datetime | None:
        """The last complete run's high-water mark, or None before the first one."""
        with self._connect() as conn:
            row = conn.execute("SELECT value FROM marks WHERE name = ?", (_MARK,)).fetchone()
        return _moment(row[0]) if row else None

    def advance(self, mark: datetime | None) -> None:
        """Record that a run has finished with everything up to `mark` listed and decided."""
        if mark is None:
            return
        with self._connect() as conn:
            conn.execute("INSERT OR REPLACE INTO marks (name, value) VALUES (?, ?)", (_MARK, _stamp(mark)))
