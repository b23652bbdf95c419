"""Expired and stale items, and items missing the metadata recommendation relies on.

"Today" is always passed in, never read from the clock here, so a report is reproducible.
An item is expired when its `expires` date is before today (withheld from buyers when its
`expires` is not a date at all); stale when it is not expired and its
`updated` date is more than `stale_months` months before today. Items without `updated` cannot be
judged and are listed as undated.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import Literal

from indexer.store import StoredDocument
from recommender.audit.report import FreshnessFinding, ItemRef, MissingMetadata

Field = Literal["audience", "stages", "roles"]


def months_before(today: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    total = today.year * 12 + today.month - 1 - months
    year, month = divmod(total, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def expired_items(documents: Sequence[StoredDocument], *, today: dt.date) -> list[FreshnessFinding]:
    """Expired items, then items whose 'expires' is not a date (withheld from buyers until it is fixed)."""
    found = [d for d in documents if d.meta.is_expired(today)]
    withheld = [d for d in documents if d.meta.expires_invalid is not None]
    return [
        _finding(d, "expired", f"expired on {d.meta.expires}; it is never recommended")
        for d in sorted(found, key=_by_expiry)
    ] + [
        _finding(
            d,
            "withheld",
            f"'expires: {d.meta.expires_invalid}' is not a date; withheld from buyers until it is fixed (YYYY-MM-DD)",
        )
        for d in sorted(withheld, key=lambda d: d.meta.id)
    ]


def stale_items(documents: Sequence[StoredDocument], *, today: dt.date, months: int) -> list[FreshnessFinding]:
    cutoff = months_before(today, months)
    found = [
        d for d in documents if not d.meta.is_expired(today) and d.meta.updated is not None and d.meta.updated < cutoff
    ]
    return [
        _finding(d, "stale", f"last updated {d.meta.updated}, more than {months} months ago")
        for d in sorted(found, key=_by_update)
    ]


def undated_items(documents: Sequence[StoredDocument]) -> list[ItemRef]:
    return [ItemRef.of(d) for d in documents if d.meta.updated is None]


def missing_metadata(documents: Sequence[StoredDocument]) -> list[MissingMetadata]:
    """Items without an explicit audience, any stage or any role."""
    out = []
    for document in documents:
        missing = _missing(document)
        if missing:
            out.append(MissingMetadata(item=ItemRef.of(document), missing=missing))
    return out


def _missing(document: StoredDocument) -> tuple[Field, ...]:
    meta = document.meta
    checks: tuple[tuple[Field, bool], ...] = (
        ("audience", meta.audience_given),
        ("stages", bool(meta.stages)),
        ("roles", bool(meta.roles)),
    )
    return tuple(name for name, present in checks if not present)


def _finding(
    document: StoredDocument, status: Literal["expired", "stale", "withheld"], detail: str
) -> FreshnessFinding:
    return FreshnessFinding(item=ItemRef.of(document), status=status, detail=detail)


def _by_expiry(document: StoredDocument) -> tuple[dt.date, str]:
    return (document.meta.expires or dt.date.max, document.meta.id)


def _by_update(document: StoredDocument) -> tuple[dt.date, str]:
    return (document.meta.updated or dt.date.max, document.meta.id)
