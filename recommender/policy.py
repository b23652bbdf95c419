"""Who may see what - the one place the audience rule lives.

Nothing internal reaches a buyer: an item is shown to a buyer only when it is marked
`audience: buyer` and has not expired. An `expires` that is not a date fails closed: the item is
withheld from buyers until it is fixed. Sellers may see internal items (flagged as internal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from indexer.metadata import ContentMeta
from recommender.models import Audience


def may_see(meta: ContentMeta, viewer: Audience, today: dt.date) -> bool:
    """A buyer sees only buyer-facing items with a readable expiry that has not passed; a seller sees everything."""
    return viewer == "seller" or (
        meta.audience == "buyer" and meta.expires_invalid is None and not meta.is_expired(today)
    )


def visible_types(metas: Iterable[ContentMeta], viewer: Audience, today: dt.date) -> frozenset[str]:
    """The content types of the items `viewer` may see: the only types an answer or a hint may name to them."""
    return frozenset(meta.type for meta in metas if may_see(meta, viewer, today))
