"""The SQLite state store: one row per (instance, stage), the single source of truth for resume.

WAL mode keeps readers (`swegym-build status`) from blocking a running stage, and every write
is its own transaction, so a `kill -9` loses at most the row being written.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stage_status (
    instance_id TEXT NOT NULL,
    stage       TEXT NOT NULL,
    repo        TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    inputs_key  TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 1,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (instance_id, stage)
);
CREATE INDEX IF NOT EXISTS stage_status_by_stage ON stage_status (stage, repo);
"""

KEPT = "kept"
REJECTED = "rejected"
FAILED = "failed"


@dataclass(frozen=True)
class StageRecord:
    instance_id: str
    stage: str
    repo: str
    status: str
    reason: str
    detail: str
    inputs_key: str
    attempts: int
    updated_at: float


class StateStore:
    """Thread-safe access to `state.sqlite`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def record(
        self,
        *,
        instance_id: str,
        stage: str,
        repo: str,
        status: str,
        reason: str = "",
        detail: str = "",
        inputs_key: str = "",
    ) -> None:
        with self._lock:
            self._conn.execute(
                """
                INSERT INTO stage_status
                    (instance_id, stage, repo, status, reason, detail, inputs_key, attempts, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
                ON CONFLICT (instance_id, stage) DO UPDATE SET
                    status = excluded.status, reason = excluded.reason, detail = excluded.detail,
                    inputs_key = excluded.inputs_key, attempts = stage_status.attempts + 1,
                    updated_at = excluded.updated_at
                """,
                (instance_id, stage, repo, status, reason, detail, inputs_key, time.time()),
            )

    def get(self, instance_id: str, stage: str) -> StageRecord | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM stage_status WHERE instance_id = ? AND stage = ?", (instance_id, stage)
            ).fetchone()
        return StageRecord(*row) if row else None

    def records(self, stage: str | None = None, repo: str | None = None) -> list[StageRecord]:
        query, args = "SELECT * FROM stage_status WHERE 1=1", []
        if stage:
            query += " AND stage = ?"
            args.append(stage)
        if repo:
            query += " AND repo = ?"
            args.append(repo)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY repo, instance_id, stage", args).fetchall()
        return [StageRecord(*row) for row in rows]
