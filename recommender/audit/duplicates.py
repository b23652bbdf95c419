"""Near-duplicate clusters: items that say the same thing, and sections copied between items.

Items: the recommender's own near-duplicate rule (`recommender.duplicates`: mean vectors screened
at `SCREEN`, confirmed by passage alignment at `ALIGNED`), so the audit reports exactly the pairs
the curator never sends together.

Sections: copied text. Each piece is embedded with its item's title and heading prefix, so two
verbatim copies of one section in two items can score as low as 0.70 by vector; sections are
therefore compared by wording: a pair (each at least `SECTION_MIN_WORDS` words, in two items that
are not already one item cluster) counts when the Jaccard overlap of their word 3-grams is
`SECTION_OVERLAP` or more. The vector similarity is reported alongside.

Pairs join into clusters (connected components). The member to keep is still valid and, like the
curator, prefers a newer version only when it is at least `NEWER_BY_DAYS` newer; otherwise the
longest (most complete). docs/audit.md has the measurements.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from indexer.store import IndexSnapshot, StoredDocument
from recommender.audit.report import ClusterMember, DuplicateCluster, ItemRef, PairSimilarity
from recommender.curator import NEWER_BY_DAYS

SECTION_OVERLAP = 0.5
SECTION_MIN_WORDS = 25
RARE_GRAM = 50  # word 3-grams in more sections than this are boilerplate; they never make two sections candidates

Kind = Literal["item", "section"]
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Unit:
    """One thing compared: a whole item, or one section of an item."""

    doc: int
    section: int | None = None


@dataclass(frozen=True)
class ScoredPair:
    first: int  # positions in the list of units
    second: int
    similarity: float
    alignment: float | None = None  # items: passage alignment
    overlap: float | None = None  # sections: shared word 3-grams


def piece_matrix(snapshot: IndexSnapshot) -> np.ndarray:
    return snapshot.matrix


def item_pairs(snapshot: IndexSnapshot, matrix: np.ndarray) -> list[ScoredPair]:
    """The build's near-duplicate pairs (found when it was indexed, by the rule in indexer/duplicates.py)."""
    return [ScoredPair(p.first, p.second, p.similarity, p.alignment) for p in snapshot.duplicate_pairs]


def item_clusters(snapshot: IndexSnapshot, matrix: np.ndarray, *, today: dt.date) -> list[DuplicateCluster]:
    units = [Unit(doc) for doc in range(len(snapshot.documents))]
    pairs = item_pairs(snapshot, matrix)
    return [_cluster("item", group, pairs, units, snapshot, today) for group in _components(pairs)]


def section_clusters(
    snapshot: IndexSnapshot, matrix: np.ndarray, *, today: dt.date, same_item: Sequence[DuplicateCluster] = ()
) -> list[DuplicateCluster]:
    """Sections whose wording is largely the same, in different items not already clustered together."""
    rows = np.array([i for i, s in enumerate(snapshot.sections) if s.word_count >= SECTION_MIN_WORDS], dtype=np.int64)
    units = [Unit(snapshot.sections[int(r)].doc, int(r)) for r in rows]
    together = _clustered_docs(snapshot, same_item)
    grams = [word_grams(snapshot.sections[int(r)].text) for r in rows]
    vectors = section_vectors(snapshot, matrix, rows)
    pairs = [
        ScoredPair(a, b, float(vectors[a] @ vectors[b]), overlap=shared)
        for a, b in _sharing_rare_grams(grams)
        if _distinct_items(units[a].doc, units[b].doc, together)
        and (shared := overlap(grams[a], grams[b])) >= SECTION_OVERLAP
    ]
    return [_cluster("section", group, pairs, units, snapshot, today) for group in _components(pairs)]


def word_grams(text: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return frozenset(tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 1)))


def overlap(first: frozenset[tuple[str, ...]], second: frozenset[tuple[str, ...]]) -> float:
    """Jaccard overlap of two sets of word n-grams."""
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def _sharing_rare_grams(grams: Sequence[frozenset[tuple[str, ...]]]) -> list[tuple[int, int]]:
    """Pairs of positions sharing at least one n-gram that few sections use: the only possible copies."""
    postings: dict[tuple[str, ...], list[int]] = {}
    for position, found in enumerate(grams):
        for gram in found:
            postings.setdefault(gram, []).append(position)
    pairs: set[tuple[int, int]] = set()
    for members in postings.values():
        if 1 < len(members) <= RARE_GRAM:
            pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return sorted(pairs)


def section_vectors(snapshot: IndexSnapshot, matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One normalised vector per given section row: the mean of its pieces' vectors."""
    position = np.full(len(snapshot.section_doc), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    owner = position[snapshot.piece_section]
    held = owner >= 0
    sums = np.zeros((len(rows), matrix.shape[1]), dtype=np.float64)
    np.add.at(sums, owner[held], np.asarray(matrix, dtype=np.float64)[held])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1, norms)).astype(np.float32)


def _clustered_docs(snapshot: IndexSnapshot, clusters: Sequence[DuplicateCluster]) -> dict[int, int]:
    out: dict[int, int] = {}
    for number, cluster in enumerate(clusters):
        for member in cluster.members:
            doc = snapshot.document_index(member.item.id)
            if doc is not None:
                out[doc] = number
    return out


def _distinct_items(first: int, second: int, together: dict[int, int]) -> bool:
    return first != second and together.get(first, -1) != together.get(second, -2)


def _components(pairs: Sequence[ScoredPair]) -> list[list[int]]:
    """Connected components of the pair graph, each sorted, in order of their first member."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        parent[root(pair.first)] = root(pair.second)
    groups: dict[int, list[int]] = {}
    for node in sorted(parent):
        groups.setdefault(root(node), []).append(node)
    return sorted(groups.values(), key=lambda g: g[0])


def _cluster(
    kind: Kind,
    group: list[int],
    pairs: Sequence[ScoredPair],
    units: Sequence[Unit],
    snapshot: IndexSnapshot,
    today: dt.date,
) -> DuplicateCluster:
    ordered = sorted(group, key=lambda u: _recency(units[u], snapshot, today))
    keep = _keeper(ordered, units, snapshot, today)
    members = [_member(units[u], snapshot, today) for u in [keep, *(u for u in ordered if u != keep)]]
    inside = set(group)
    linked = sorted((p for p in pairs if p.first in inside), key=lambda p: -p.similarity)
    dated = [m for m in members if m.item.updated is not None]
    newest = max(dated, key=lambda m: m.item.updated or dt.date.min).item.id if dated else None
    return DuplicateCluster(
        kind=kind,
        members=tuple(members),
        pairs=tuple(_pair(p, units, snapshot) for p in linked),
        keep=members[0].item.id,
        newest=newest,
        advice=_advice(kind, members),
    )


def _keeper(ordered: Sequence[int], units: Sequence[Unit], snapshot: IndexSnapshot, today: dt.date) -> int:
    """Still valid first; among those, any updated within NEWER_BY_DAYS of the newest; of them the longest."""
    documents = [snapshot.documents[units[u].doc] for u in ordered]
    valid = [u for u, d in zip(ordered, documents) if not d.meta.is_expired(today)] or list(ordered)
    newest = _updated(snapshot.documents[units[valid[0]].doc])
    recent = [u for u in valid if (newest - _updated(snapshot.documents[units[u].doc])).days < NEWER_BY_DAYS]
    return max(recent, key=lambda u: (snapshot.documents[units[u].doc].word_count, -recent.index(u)))


def _pair(pair: ScoredPair, units: Sequence[Unit], snapshot: IndexSnapshot) -> PairSimilarity:
    return PairSimilarity(
        first=_label(units[pair.first], snapshot),
        second=_label(units[pair.second], snapshot),
        similarity=round(pair.similarity, 4),
        alignment=_round(pair.alignment),
        overlap=_round(pair.overlap),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _member(unit: Unit, snapshot: IndexSnapshot, today: dt.date) -> ClusterMember:
    document = snapshot.documents[unit.doc]
    section = snapshot.sections[unit.section].heading if unit.section is not None else None
    return ClusterMember(item=ItemRef.of(document), section=section or None, expired=document.meta.is_expired(today))


def _recency(unit: Unit, snapshot: IndexSnapshot, today: dt.date) -> tuple[bool, int, str]:
    document = snapshot.documents[unit.doc]
    return (document.meta.is_expired(today), -_updated(document).toordinal(), document.meta.id)


def _updated(document: StoredDocument) -> dt.date:
    return document.meta.updated or dt.date.min


def _label(unit: Unit, snapshot: IndexSnapshot) -> str:
    doc_id = snapshot.documents[unit.doc].meta.id
    if unit.section is None:
        return doc_id
    return f"{doc_id} / {snapshot.sections[unit.section].heading}"


def _advice(kind: Kind, members: Sequence[ClusterMember]) -> str:
    keep, others = members[0], members[1:]
    names = ", ".join(f"'{m.item.id}'" for m in others)
    if kind == "item":
        return (
            f"Keep '{keep.item.id}' ({_why_keep(keep, others)}); retire {names} or merge what is still needed into it."
        )
    return (
        f"The same text is in several items; keep the master in '{keep.item.id}' "
        f"({_why_keep(keep, others)}) and update or link it from {names}."
    )


def _why_keep(keep: ClusterMember, others: Sequence[ClusterMember]) -> str:
    if not keep.expired and any(m.expired for m in others):
        return "still valid; " + ", ".join(m.item.id for m in others if m.expired) + " expired"
    updated = keep.item.updated
    if updated is None:
        return "no dates to compare; it is the longest"
    if all(m.item.updated is None or (updated - m.item.updated).days >= NEWER_BY_DAYS for m in others):
        return f"newest, updated {updated}"
    return f"the most complete of those updated within {NEWER_BY_DAYS} days of the newest"
