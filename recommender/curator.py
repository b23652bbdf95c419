"""Pick a short set: every item that answers a stated problem, best first, never two near-duplicates.

A candidate has already been judged an answer to at least one problem (recommender/candidates.py).
The curator keeps every such item until the item limit or the reading budget binds, and drops only
near-duplicates (the newer, or better fitting, of a pair is kept). Problems take turns: each round
takes every problem's next-best answer, strongest fit-weighted relevance first, so a second
problem is not crowded out by a third answer to the first. A set is short because nothing more
answers the buyer's problems, never because a counter stopped early.
Ties break on the item's position in the index, so the output is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from indexer.store import IndexSnapshot
from recommender.candidates import Candidate
from recommender.duplicates import Duplicates

WHOLE_ITEM_MINUTES = 3  # items this short are read whole; longer ones by their best section
NEWER_BY_DAYS = 30  # a near-duplicate this much newer is preferred to a better-scoring older one
LEFT_OUT_SHOWN = 3  # answers beyond the item limit that are listed as left out


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    score: float  # fit-weighted relevance to the problem it was picked for
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


def curate(
    candidates: Sequence[Candidate], *, snapshot: IndexSnapshot, duplicates: Duplicates, limits: Limits
) -> Curation:
    kept, trimmed = _drop_near_duplicates(candidates, snapshot, duplicates)
    state = _Selection(snapshot, limits)
    for candidate, score in _turns(kept):
        if state.full:
            trimmed.extend(_left_over(state, kept))
            break
        skip = state.take(candidate, score)
        if skip is not None:
            trimmed.append(skip)
    picked = {p.candidate.doc for p in state.picks}
    return Curation(tuple(state.picks), tuple(s for s in trimmed if s.instead_of is None or s.instead_of in picked))


def _turns(candidates: Sequence[Candidate]) -> list[tuple[Candidate, float]]:
    """Candidates in the order they are offered: round by round, each problem's next answer."""
    queues: dict[int, list[tuple[float, int, Candidate]]] = {}
    for candidate in candidates:
        for match in candidate.matches:
            queues.setdefault(match.problem, []).append((candidate.value(match), candidate.doc, candidate))
    for queue in queues.values():
        queue.sort(key=lambda entry: (-entry[0], entry[1]))
    order: list[tuple[Candidate, float]] = []
    seen: set[int] = set()
    for round_ in range(max((len(q) for q in queues.values()), default=0)):
        offered = sorted(
            (q[round_] for q in queues.values() if round_ < len(q)), key=lambda entry: (-entry[0], entry[1])
        )
        for value, doc, candidate in offered:
            if doc not in seen:
                seen.add(doc)
                order.append((candidate, value))
    return order


class _Selection:
    def __init__(self, snapshot: IndexSnapshot, limits: Limits) -> None:
        self.snapshot, self.limits = snapshot, limits
        self.picks: list[Pick] = []
        self.offered: set[int] = set()
        self.minutes = 0

    @property
    def full(self) -> bool:
        return len(self.picks) >= self.limits.max_items

    def take(self, candidate: Candidate, score: float) -> Skip | None:
        self.offered.add(candidate.doc)
        minutes, section, whole = self._reading(candidate)
        budget = self.limits.budget_minutes
        if budget is not None and self.minutes + minutes > budget:
            left = max(budget - self.minutes, 0)
            return Skip(
                candidate.doc,
                "over-budget",
                f"needs {minutes} min of reading; {left:g} of the {budget:g} min budget was left",
            )
        self.picks.append(Pick(candidate, score, minutes, section, whole))
        self.minutes += minutes
        return None

    def _reading(self, candidate: Candidate) -> tuple[int, int, bool]:
        section = self.snapshot.pieces[candidate.best.piece].section
        document = self.snapshot.documents[candidate.doc]
        if document.reading_minutes <= WHOLE_ITEM_MINUTES:
            return document.reading_minutes, section, True
        return self.snapshot.sections[section].reading_minutes, section, False


def _left_over(state: _Selection, candidates: Sequence[Candidate]) -> list[Skip]:
    waiting = sorted(
        (c for c in candidates if c.doc not in state.offered),
        key=lambda c: (-max(c.value(m) for m in c.matches), c.doc),
    )
    return [
        Skip(c.doc, "max-items", f"also answers, left out to keep the set at {state.limits.max_items} item(s)")
        for c in waiting[:LEFT_OUT_SHOWN]
    ]


def _drop_near_duplicates(
    candidates: Sequence[Candidate], snapshot: IndexSnapshot, duplicates: Duplicates
) -> tuple[list[Candidate], list[Skip]]:
    by_doc = {c.doc: c for c in candidates}
    pairs = [p for doc in sorted(by_doc) for other, p in duplicates.of(doc).items() if doc < other and other in by_doc]
    dropped: dict[int, Skip] = {}
    for pair in sorted(pairs, key=lambda p: -p.similarity):
        if pair.first in dropped or pair.second in dropped:
            continue
        keep, drop = _prefer(by_doc[pair.first], by_doc[pair.second], snapshot)
        title = snapshot.documents[keep.doc].meta.title
        why = "newer" if _newer(snapshot, keep.doc, drop.doc) else "a better fit for this request"
        dropped[drop.doc] = Skip(
            drop.doc,
            "near-duplicate",
            f"says the same as '{title}' (similarity {pair.similarity:.2f}), which is {why}",
            keep.doc,
        )
    return [c for c in candidates if c.doc not in dropped], list(dropped.values())


def _prefer(a: Candidate, b: Candidate, snapshot: IndexSnapshot) -> tuple[Candidate, Candidate]:
    if _newer(snapshot, a.doc, b.doc):
        return a, b
    if _newer(snapshot, b.doc, a.doc):
        return b, a
    value_a, value_b = a.value(a.best), b.value(b.best)
    return (a, b) if (value_a, -a.doc) >= (value_b, -b.doc) else (b, a)


def _newer(snapshot: IndexSnapshot, a: int, b: int) -> bool:
    da, db = snapshot.documents[a].meta.updated, snapshot.documents[b].meta.updated
    return da is not None and (db is None or (da - db).days > NEWER_BY_DAYS)
