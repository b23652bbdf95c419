"""Near-duplicate content: items that say the same thing. One rule, used by the curator, the
scenario checks and the audit.

A pair of items is screened by their mean vectors (the normalised mean of their piece vectors,
cosine at or above `SCREEN`) and confirmed passage by passage: each item's passages must, on
average, find a close counterpart in the other (`alignment` at or above `ALIGNED`, the lower of
the two directions). Mean vectors alone crowd together in one library - two overviews of the same
product score almost as high as two versions of one guide - while aligned passages separate them.
Measured on the sample library (docs/audit.md): the planted pairs align at 0.941, 0.902 and 0.754;
the best-aligned distinct pair that passes the screen aligns at 0.658.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.store import IndexSnapshot

SCREEN = 0.85
ALIGNED = 0.72


@dataclass(frozen=True)
class DuplicatePair:
    first: int
    second: int
    similarity: float  # cosine of the two mean vectors
    alignment: float  # how well each item's passages find a counterpart in the other


def document_vectors(snapshot: IndexSnapshot, matrix: np.ndarray) -> np.ndarray:
    """One normalised vector per document: the mean of its pieces' vectors."""
    sums = np.zeros((len(snapshot.documents), matrix.shape[1]), dtype=np.float64)
    np.add.at(sums, snapshot.piece_doc, matrix)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1, norms)).astype(np.float32)


def alignment(first: np.ndarray, second: np.ndarray) -> float:
    """How well each set of passage vectors finds a counterpart in the other: the lower mean best match."""
    if len(first) == 0 or len(second) == 0:
        return 0.0
    sims = first @ second.T
    return float(min(sims.max(axis=1).mean(), sims.max(axis=0).mean()))


def near_duplicate_pairs(snapshot: IndexSnapshot, matrix: np.ndarray, vectors: np.ndarray) -> list[DuplicatePair]:
    """Every pair of items in the index that says the same thing, by the rule above."""
    sims = vectors @ vectors.T
    first, second = np.nonzero(np.triu(sims >= SCREEN, k=1))
    out = []
    for a, b in zip(first.tolist(), second.tolist()):
        aligned = alignment(matrix[snapshot.piece_doc == a], matrix[snapshot.piece_doc == b])
        if aligned >= ALIGNED:
            out.append(DuplicatePair(a, b, float(sims[a, b]), aligned))
    return out


class Duplicates:
    """The near-duplicate pairs of one index, looked up by item."""

    def __init__(self, pairs: list[DuplicatePair]) -> None:
        self.pairs = tuple(pairs)
        self._of: dict[int, dict[int, DuplicatePair]] = {}
        for pair in pairs:
            self._of.setdefault(pair.first, {})[pair.second] = pair
            self._of.setdefault(pair.second, {})[pair.first] = pair

    def of(self, doc: int) -> dict[int, DuplicatePair]:
        return self._of.get(doc, {})

    def between(self, a: int, b: int) -> DuplicatePair | None:
        return self.of(a).get(b)
