"""Who may see what - the one place the audience rule lives.

Nothing internal reaches a buyer: an item is shown to a buyer only when it is marked
`audience: buyer` and has not expired. Sellers may see internal items (flagged as internal).
"""

from __future__ import annotations

import datetime as dt

from indexer.metadata import ContentMeta
from recommender.models import Audience


def may_see(meta: ContentMeta, viewer: Audience, today: dt.date) -> bool:
    """A buyer sees only buyer-facing items that have not expired; a seller sees everything."""
    return viewer == "seller" or (meta.audience == "buyer" and not meta.is_expired(today))
