"""Pick a short set: cover the stated problems, fit the buyer, never two near-duplicates.

Greedy selection with diminishing returns: an item gains its fit-weighted relevance for each
problem it answers, halved for every pick that already answers that problem, plus a bonus for
requested roles no pick serves yet, minus a penalty for resembling a pick. Selection stops at
`max_items`, or earlier when the next item would add too little - send less, and the right thing.
Ties break on the item's position in the index, so the output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from indexer.store import IndexSnapshot
from recommender.candidates import Candidate
from recommender.duplicates import Duplicates

MIN_GAIN = 0.35  # below this the next item adds too little to be worth the buyer's time
ROLE_COVER = 0.25  # bonus for speaking to requested roles no pick serves yet
REDUNDANCY = 0.5  # penalty per unit of similarity to a pick above REDUNDANCY_FLOOR
REDUNDANCY_FLOOR = 0.6
WHOLE_ITEM_MINUTES = 3  # items this short are read whole; longer ones by their best section
NEWER_BY_DAYS = 30  # a near-duplicate this much newer is preferred to a better-scoring older one


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    gain: float
    minutes: int
    section: int
    whole_item: bool


@dataclass(frozen=True)
class Skip:
    doc: int
    reason: Literal["near-duplicate", "over-budget", "max-items"]
    detail: str
    instead_of: int | None = None  # for a near-duplicate: the item kept in its place


@dataclass(frozen=True)
class Curation:
    picks: tuple[Pick, ...]
    trimmed: tuple[Skip, ...]


@dataclass(frozen=True)
class Limits:
    max_items: int
    budget_minutes: float | None
    roles: tuple[str, ...]


def curate(candidates: Sequence[Candidate], *, snapshot: IndexSnapshot, doc_vectors: np.ndarray, duplicates: Duplicates, limits: Limits) -> Curation:
    kept, trimmed = _drop_near_duplicates(candidates, snapshot, duplicates)
    state = _Selection(snapshot, doc_vectors, limits)
    remaining = list(kept)
    while remaining and len(state.picks) < limits.max_items:
        gains = [state.gain(c) for c in remaining]
        best = max(range(len(remaining)), key=lambda i: (gains[i], -remaining[i].doc))
        if gains[best] < MIN_GAIN:
            break
        candidate = remaining.pop(best)
        skip = state.take(candidate, gains[best])
        if skip is not None:
            trimmed.append(skip)
    trimmed.extend(_left_over(state, remaining))
    picked = {p.candidate.doc for p in state.picks}
    return Curation(tuple(state.picks), tuple(s for s in trimmed if s.instead_of is None or s.instead_of in picked))


class _Selection:
    def __init__(self, snapshot: IndexSnapshot, doc_vectors: np.ndarray, limits: Limits) -> None:
        self.snapshot, self.vectors, self.limits = snapshot, doc_vectors, limits
        self.picks: list[Pick] = []
        self.answered: dict[int, int] = {}
        self.roles: set[str] = set()
        self.minutes = 0

    def gain(self, candidate: Candidate) -> float:
        relevance = sum(m.score * 0.5 ** self.answered.get(m.problem, 0) for m in candidate.matches)
        new_roles = len(set(candidate.fit.roles) - self.roles) / max(len(self.limits.roles), 1)
        return candidate.fit.multiplier * relevance + ROLE_COVER * new_roles - REDUNDANCY * self._resemblance(candidate)

    def _resemblance(self, candidate: Candidate) -> float:
        if not self.picks:
            return 0.0
        sims = self.vectors[[p.candidate.doc for p in self.picks]] @ self.vectors[candidate.doc]
        return max(0.0, float(sims.max()) - REDUNDANCY_FLOOR)

    def take(self, candidate: Candidate, gain: float) -> Skip | None:
        minutes, section, whole = self._reading(candidate)
        budget = self.limits.budget_minutes
        if budget is not None and self.minutes + minutes > budget:
            left = max(budget - self.minutes, 0)
            return Skip(candidate.doc, "over-budget", f"needs {minutes} min of reading; {left:g} of the {budget:g} min budget was left")
        self.picks.append(Pick(candidate, gain, minutes, section, whole))
        self.minutes += minutes
        self.roles.update(candidate.fit.roles)
        for match in candidate.matches:
            self.answered[match.problem] = self.answered.get(match.problem, 0) + 1
        return None

    def _reading(self, candidate: Candidate) -> tuple[int, int, bool]:
        section = self.snapshot.pieces[candidate.best.piece].section
        document = self.snapshot.documents[candidate.doc]
        if document.reading_minutes <= WHOLE_ITEM_MINUTES:
            return document.reading_minutes, section, True
        return self.snapshot.sections[section].reading_minutes, section, False


def _left_over(state: _Selection, remaining: list[Candidate]) -> list[Skip]:
    if len(state.picks) < state.limits.max_items:
        return []
    worthy = sorted((c for c in remaining if state.gain(c) >= MIN_GAIN), key=lambda c: (-state.gain(c), c.doc))[:3]
    return [Skip(c.doc, "max-items", f"also relevant, left out to keep the set at {state.limits.max_items} item(s)") for c in worthy]


def _drop_near_duplicates(candidates: Sequence[Candidate], snapshot: IndexSnapshot, duplicates: Duplicates) -> tuple[list[Candidate], list[Skip]]:
    by_doc = {c.doc: c for c in candidates}
    pairs = [p for doc in sorted(by_doc) for other, p in duplicates.of(doc).items() if doc < other and other in by_doc]
    dropped: dict[int, Skip] = {}
    for pair in sorted(pairs, key=lambda p: -p.similarity):
        if pair.first in dropped or pair.second in dropped:
            continue
        keep, drop = _prefer(by_doc[pair.first], by_doc[pair.second], snapshot)
        title = snapshot.documents[keep.doc].meta.title
        why = "newer" if _newer(snapshot, keep.doc, drop.doc) else "a better fit for this request"
        dropped[drop.doc] = Skip(drop.doc, "near-duplicate", f"says the same as '{title}' (similarity {pair.similarity:.2f}), which is {why}", keep.doc)
    return [c for c in candidates if c.doc not in dropped], list(dropped.values())


def _prefer(a: Candidate, b: Candidate, snapshot: IndexSnapshot) -> tuple[Candidate, Candidate]:
    if _newer(snapshot, a.doc, b.doc):
        return a, b
    if _newer(snapshot, b.doc, a.doc):
        return b, a
    value_a, value_b = a.fit.multiplier * a.best.score, b.fit.multiplier * b.best.score
    return (a, b) if (value_a, -a.doc) >= (value_b, -b.doc) else (b, a)


def _newer(snapshot: IndexSnapshot, a: int, b: int) -> bool:
    da, db = snapshot.documents[a].meta.updated, snapshot.documents[b].meta.updated
    return da is not None and (db is None or (da - db).days > NEWER_BY_DAYS)
