"""What the page shows, computed from the core's answers: presentation only, no rules of its own."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.metadata import is_safe_url
from recommender.buyer_note import sent_items
from recommender.models import Recommendation, RecommendedItem


@dataclass(frozen=True)
class RoleRow:
    """One item of the set and, for each requested role in order, whether it speaks to that role."""

    item: RecommendedItem
    speaks: tuple[bool, ...]


@dataclass(frozen=True)
class RoleView:
    """Which items of the set speak to which role of the buying group."""

    roles: tuple[str, ...]
    rows: tuple[RoleRow, ...]
    unserved: tuple[str, ...]  # roles no item of the set speaks to


def role_view(answer: Recommendation) -> RoleView | None:
    """The buying-group view of a set, or None when the request named fewer than two roles."""
    roles = tuple(answer.recognised.roles)
    if len(roles) < 2:
        return None
    rows = tuple(RoleRow(item, tuple(role in item.roles for role in roles)) for item in answer.items)
    unserved = tuple(role for i, role in enumerate(roles) if not any(row.speaks[i] for row in rows))
    return RoleView(roles=roles, rows=rows, unserved=unserved)


def sent_ids(answer: Recommendation) -> list[str]:
    """The ids of the items the buyer note sends."""
    return [item.id for item in sent_items(answer)]


def http_link(url: str | None) -> str | None:
    """`url` when a browser may follow it safely, by the indexer's own rule (http(s) with a host, or mailto)."""
    return url if url and is_safe_url(url) else None
