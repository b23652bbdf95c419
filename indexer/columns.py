"""Document metadata as columns: the filters every request applies, as array operations.

A request's hard filters (who may see an item, expiry, type) and the library's listing filters
(stage, role) are masks over documents, built from these arrays in microseconds at any library
size, instead of a loop over every document's metadata in Python. The rule itself stays in one
place: `visible` is `recommender.policy.may_see` for every document at once (a test checks they
agree on every item of the sample library).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from indexer.store import StoredDocument

NEVER = np.iinfo(np.int32).max  # the expiry ordinal of an item without an expiry


@dataclass(frozen=True)
class DocumentColumns:
    buyer_facing: np.ndarray  # bool: audience buyer and a readable expiry (the buyer rule, before the date)
    audience_buyer: np.ndarray  # bool: marked audience buyer
    expires: np.ndarray  # int32: date.toordinal() of the expiry, NEVER when there is none
    type_code: np.ndarray  # int32: index into `types`
    types: tuple[str, ...]
    _stages: dict[str, np.ndarray] = field(default_factory=dict)
    _roles: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, documents: Sequence[StoredDocument]) -> DocumentColumns:
        metas = [d.meta for d in documents]
        types = tuple(sorted({m.type for m in metas}))
        code = {t: i for i, t in enumerate(types)}
        stages: dict[str, np.ndarray] = {}
        roles: dict[str, np.ndarray] = {}
        for row, meta in enumerate(metas):
            for stage in meta.stages:
                stages.setdefault(stage, np.zeros(len(metas), dtype=bool))[row] = True
            for role in meta.roles:
                roles.setdefault(role, np.zeros(len(metas), dtype=bool))[row] = True
        return cls(
            buyer_facing=np.fromiter(
                (m.audience == "buyer" and m.expires_invalid is None for m in metas), dtype=bool, count=len(metas)
            ),
            audience_buyer=np.fromiter((m.audience == "buyer" for m in metas), dtype=bool, count=len(metas)),
            expires=np.fromiter(
                (m.expires.toordinal() if m.expires else NEVER for m in metas), dtype=np.int32, count=len(metas)
            ),
            type_code=np.fromiter((code[m.type] for m in metas), dtype=np.int32, count=len(metas)),
            types=types,
            _stages=stages,
            _roles=roles,
        )

    def __len__(self) -> int:
        return len(self.expires)

    def expired(self, today: dt.date) -> np.ndarray:
        return self.expires < today.toordinal()

    def visible(self, viewer: str, today: dt.date) -> np.ndarray:
        """`may_see` for every document: a buyer sees buyer-facing items that have not expired; a seller, all."""
        if viewer == "seller":
            return np.ones(len(self), dtype=bool)
        return self.buyer_facing & ~self.expired(today)

    def audience_is(self, audience: str) -> np.ndarray:
        return self.audience_buyer.copy() if audience == "buyer" else ~self.audience_buyer

    def of_types(self, names: Sequence[str] | frozenset[str]) -> np.ndarray:
        codes = [i for i, t in enumerate(self.types) if t in names]
        return np.isin(self.type_code, codes)

    def types_among(self, mask: np.ndarray) -> frozenset[str]:
        return frozenset(self.types[i] for i in np.unique(self.type_code[mask]).tolist())

    def with_stage(self, stage: str) -> np.ndarray:
        return self._stages.get(stage, np.zeros(len(self), dtype=bool))

    def with_role(self, role: str) -> np.ndarray:
        return self._roles.get(role, np.zeros(len(self), dtype=bool))
