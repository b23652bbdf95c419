"""Deal memory: what a deal already has (from its engagement events) is not sent again, nor its near-duplicates.

The rule lives in the core, once: a request naming a `deal_id` has the deal's items added to what the
buyer already has, and the existing hard filter (candidates.allowed_documents) withholds them and their
near-duplicates. The answer's `deal` says which items were withheld and why.
"""

from __future__ import annotations

import datetime as dt

from indexer.store import IndexSnapshot
from recommender.duplicates import Duplicates
from recommender.events.store import EventStore
from recommender.models import DealMemory, RecommendationRequest
from recommender.policy import may_see


def remember(
    request: RecommendationRequest,
    history: EventStore | None,
    snapshot: IndexSnapshot,
    duplicates: Duplicates,
    today: dt.date,
) -> tuple[RecommendationRequest, DealMemory | None]:
    """`request` with the deal's items counted as already sent, and what that withholds. The answer names only
    items the request's audience may see: a buyer is never told the id of an internal item."""
    if request.deal_id is None:
        return request, None
    had = history.sent_to(request.deal_id) if history is not None else ()
    rows = [row for item in had if (row := snapshot.document_index(item)) is not None]
    known = {snapshot.documents[row].meta.id for row in rows}
    similar_rows = {other for row in rows for other in duplicates.of(row)}

    def shown(row: int) -> bool:
        return may_see(snapshot.documents[row].meta, request.audience, today)

    sent = {snapshot.documents[row].meta.id for row in rows if shown(row)}
    similar = sorted({snapshot.documents[r].meta.id for r in similar_rows if shown(r)} - known)
    memory = DealMemory(
        deal_id=request.deal_id,
        sent=sorted(sent),
        near_duplicates=similar,
        message=_message(request.deal_id, sent, similar, history is not None),
    )
    update = {"already_sent": list(dict.fromkeys([*request.already_sent, *sorted(known)]))}
    return request.model_copy(update=update), memory


def _message(deal_id: str, sent: set[str], similar: list[str], stored: bool) -> str:
    if not stored:
        return f"No engagement events are stored yet, so nothing is known about deal '{deal_id}'."
    if not sent:
        return f"Deal '{deal_id}' has had nothing from this library yet."
    text = f"Not sent again: {len(sent)} item(s) deal '{deal_id}' already has ({', '.join(sorted(sent))})"
    return text + (f", nor {len(similar)} near-duplicate(s) of them ({', '.join(similar)})." if similar else ".")
