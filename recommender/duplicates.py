"""Near-duplicate content: items whose text says the same thing.

An item's vector is the normalised mean of its piece vectors. Two items whose vectors have a
cosine similarity at or above `NEAR_DUPLICATE` are near-duplicates. The threshold was chosen on
the sample library: its planted pairs (an old and a new version of the same piece, one story
told twice) score above it and no two distinct items do - see README "How it was measured".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.store import IndexSnapshot

NEAR_DUPLICATE = 0.895  # sample library: planted pairs 0.992, 0.928, 0.898 (Harbor Point); highest distinct pair 0.891 - see docs/audit.md


@dataclass(frozen=True)
class DuplicatePair:
    first: int
    second: int
    similarity: float


def document_vectors(snapshot: IndexSnapshot, matrix: np.ndarray) -> np.ndarray:
    """One normalised vector per document: the mean of its pieces' vectors."""
    sums = np.zeros((len(snapshot.documents), matrix.shape[1]), dtype=np.float64)
    np.add.at(sums, snapshot.piece_doc, matrix)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1, norms)).astype(np.float32)


def near_duplicate_pairs(vectors: np.ndarray, *, threshold: float = NEAR_DUPLICATE, among: np.ndarray | None = None) -> list[DuplicatePair]:
    """All pairs of documents (optionally only among the given rows) at or above `threshold`."""
    rows = np.arange(len(vectors)) if among is None else np.asarray(among, dtype=np.int64)
    if rows.size < 2:
        return []
    sims = vectors[rows] @ vectors[rows].T
    first, second = np.nonzero(np.triu(sims >= threshold, k=1))
    return [DuplicatePair(int(rows[a]), int(rows[b]), float(sims[a, b])) for a, b in zip(first, second)]
