"""Bulk history: a JSONL file of events, one per line; good lines are stored, bad ones reported by number."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from indexer.errors import RecommenderError
from recommender.events.models import Appended, Event
from recommender.events.store import EventStore

BATCH = 1000


@dataclass(frozen=True)
class BadLine:
    line: int
    problem: str


@dataclass(frozen=True)
class Imported:
    appended: Appended
    bad: tuple[BadLine, ...]


def import_events(store: EventStore, path: Path, *, source: str = "import") -> Imported:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecommenderError(
            f"cannot read the events file {path}: {exc}", hint="Give a UTF-8 JSONL file, one event per line."
        ) from exc
    good: list[Event] = []
    bad: list[BadLine] = []
    for number, text in enumerate(lines, start=1):
        if text.strip():
            try:
                good.append(Event.model_validate(json.loads(text)))
            except (json.JSONDecodeError, ValidationError) as exc:
                bad.append(BadLine(number, _problem(exc)))
    stored = duplicates = 0
    for start in range(0, len(good), BATCH):
        done = store.append(good[start : start + BATCH], source=source)
        stored, duplicates = stored + done.stored, duplicates + done.duplicates
    return Imported(Appended(stored=stored, duplicates=duplicates), tuple(bad))


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'event'}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        )
    return f"not JSON ({exc})"
