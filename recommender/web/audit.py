"""The library audit as the page shows it: the audit's own HTML report, made once per index build and day."""

from __future__ import annotations

import datetime as dt
import threading

from indexer.store import IndexSnapshot
from recommender.audit.html import render_html
from recommender.audit.run import AuditOptions, audit_library


class AuditPages:
    """Renders the audit report of a snapshot, keeping the last one (an audit reads the whole library)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[str, dt.date, str] | None = None

    def page(self, snapshot: IndexSnapshot, today: dt.date) -> str:
        with self._lock:
            build = str(snapshot.path)  # a build's folder: unique across the server's libraries, as its id may not be
            if self._last is None or self._last[:2] != (build, today):
                self._last = (build, today, render_html(audit_library(snapshot, AuditOptions(today=today))))
            return self._last[2]
