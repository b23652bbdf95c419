"""The engagement store: append-only SQLite (WAL) beside the index builds, so re-indexing loses nothing.

    <index>/current -> builds/<id>      published builds (replaced on every index run)
    <index>/events/events.sqlite3       engagement events (never inside a build)

A write commits (synchronous=FULL) before it returns, so an acknowledged event survives the process
being killed. Rows are never updated or deleted (triggers refuse it); an event id seen before is
acknowledged and not stored twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from indexer.errors import RecommenderError
from indexer.settings import Settings
from recommender.events.models import Appended, Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    deal_id TEXT NOT NULL,
    content_id TEXT NOT NULL,
    type TEXT NOT NULL,
    seconds REAL,
    stage TEXT,
    at TEXT NOT NULL,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS events_deal ON events (deal_id);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'engagement events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'engagement events are append-only'); END;
"""
INSERT = (
    "INSERT OR IGNORE INTO events (event_id, source, deal_id, content_id, type, seconds, stage, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def events_path(index_root: Path) -> Path:
    """Where an index's engagement events live: beside its builds, never inside one."""
    return index_root / "events" / "events.sqlite3"


class EventStoreError(RecommenderError):
    """The event store cannot be opened or written."""


class EventStore:
    """Appends and reads events; each call opens its own connection, so one store serves every thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise EventStoreError(
                f"cannot open the engagement event store {path}: {exc}",
                hint="Check that the index folder is writable and the file is a SQLite database.",
            ) from exc

    def append(self, events: Iterable[Event], *, source: str) -> Appended:
        """Store `events` in one transaction, committed before this returns."""
        rows = [
            (e.event_id, source, e.deal_id, e.content_id, e.type, e.seconds, e.stage, e.at.isoformat()) for e in events
        ]
        with self._connect() as db, db:
            before = db.total_changes
            db.executemany(INSERT, rows)
            stored = db.total_changes - before
        return Appended(stored=stored, duplicates=len(rows) - stored)

    def sent_to(self, deal_id: str) -> tuple[str, ...]:
        """The content ids a deal has had (any event about an item means the deal has it), first sent first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT content_id FROM events WHERE deal_id = ? GROUP BY content_id ORDER BY MIN(at), content_id",
                (deal_id,),
            ).fetchall()
        return tuple(r[0] for r in rows)

    def events(self) -> Iterator[Event]:
        """Every stored event, oldest first."""
        with self._connect() as db:
            cursor = db.execute(
                "SELECT event_id, deal_id, content_id, type, seconds, stage, at FROM events ORDER BY at, event_id"
            )
            for event_id, deal_id, content_id, kind, seconds, stage, at in cursor:
                yield Event(
                    event_id=event_id,
                    deal_id=deal_id,
                    content_id=content_id,
                    type=kind,
                    seconds=seconds,
                    stage=stage,
                    at=at,
                )

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def ids(self) -> set[str]:
        with self._connect() as db:
            return {r[0] for r in db.execute("SELECT event_id FROM events")}

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA busy_timeout=30000")
            yield db


def store_path(settings: Settings) -> Path:
    return settings.events or events_path(settings.index)


def existing_store(settings: Settings) -> EventStore | None:
    """The index's event store when one has been written, for readers that must not create it."""
    path = store_path(settings)
    return EventStore(path) if path.exists() else None
