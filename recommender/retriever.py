"""Hybrid search over section pieces: dense (FAISS) and keyword (bm25s), fused.

Dense scores are cosine similarities; keyword scores are BM25. The default fusion is a convex
combination of min-max normalised scores over the union of both candidate lists; reciprocal
rank fusion is available for comparison. Defaults were chosen by nDCG@10 on SciFact's *train*
queries (`recommender eval`, docs/benchmarks.md), never on the test queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from indexer.embed import Embedder
from indexer.store import IndexSnapshot

Method = Literal["dense", "keyword", "hybrid"]
METHODS: tuple[Method, ...] = ("dense", "keyword", "hybrid")


@dataclass(frozen=True)
class FusionConfig:
    method: Literal["convex", "rrf"] = "convex"
    alpha: float = 0.6  # weight of the dense score in convex fusion (SciFact train: 0.5 -> 0.7402, 0.6 -> 0.7431)
    candidates: int = 200  # taken from each list before fusing
    rrf_k: int = 60


class PieceHit(
    NamedTuple
):  # a tuple: hundreds are made per search, and a tuple is made ~5x faster than a frozen dataclass
    row: int
    score: float  # the ranking score of the method used
    dense: float  # cosine similarity of piece and query (absolute, comparable across queries)


@dataclass(frozen=True)
class DocumentHit:
    doc: int
    score: float
    pieces: tuple[PieceHit, ...]  # best first

    @property
    def best(self) -> PieceHit:
        return self.pieces[0]


class Retriever:
    """Searches one loaded index snapshot; safe to share between threads."""

    def __init__(self, snapshot: IndexSnapshot, embedder: Embedder, fusion: FusionConfig | None = None) -> None:
        self.snapshot = snapshot
        self.embedder = embedder
        self.fusion = fusion or FusionConfig()
        self.matrix = snapshot.matrix

    def embed(self, queries: Sequence[str]) -> np.ndarray:
        return self.embedder.embed(list(queries), batch_size=16)

    def search(
        self,
        query: str,
        *,
        method: Method = "hybrid",
        k: int = 100,
        allowed: np.ndarray | None = None,
        vector: np.ndarray | None = None,
    ) -> list[PieceHit]:
        """The best `k` pieces for `query`, restricted to `allowed` pieces (a boolean mask) when given."""
        if vector is None and method != "keyword":
            vector = self.embed([query])[0]
        if method == "dense":
            assert vector is not None
            rows, scores = self._dense(vector, max(k, 1), allowed)
            return [PieceHit(int(r), float(s), float(s)) for r, s in zip(rows, scores)][:k]
        keyword = self.snapshot.keyword.scores(query)
        if allowed is not None:
            keyword = np.where(allowed, keyword, 0.0)
        if method == "keyword":
            rows = _top(keyword, k)
            rows = rows[keyword[rows] > 0]
            dense = self.matrix[rows] @ vector if vector is not None else np.zeros(len(rows))
            return [PieceHit(int(r), float(keyword[r]), float(d)) for r, d in zip(rows, dense)]
        assert vector is not None
        return self._hybrid(vector, keyword, k, allowed)

    def search_documents(
        self,
        query: str,
        *,
        method: Method = "hybrid",
        k: int = 100,
        allowed: np.ndarray | None = None,
        vector: np.ndarray | None = None,
    ) -> list[DocumentHit]:
        """Pieces aggregated to documents (a document scores as its best piece)."""
        hits = self.search(query, method=method, k=max(k * 4, self.fusion.candidates), allowed=allowed, vector=vector)
        grouped: dict[int, list[PieceHit]] = {}
        for doc, hit in zip(self.snapshot.piece_doc[[h.row for h in hits]].tolist(), hits):
            grouped.setdefault(doc, []).append(hit)
        docs = [DocumentHit(doc, pieces[0].score, tuple(pieces)) for doc, pieces in grouped.items()]
        docs.sort(key=lambda d: (-d.score, d.doc))
        return docs[:k]

    def _dense(self, vector: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        return self.snapshot.vectors.search(vector, k, allowed)

    def _hybrid(self, vector: np.ndarray, keyword: np.ndarray, k: int, allowed: np.ndarray | None) -> list[PieceHit]:
        n = self.fusion.candidates
        dense_rows, _ = self._dense(vector, n, allowed)
        keyword_rows = _top(keyword, n)
        keyword_rows = keyword_rows[keyword[keyword_rows] > 0]
        rows = np.unique(np.concatenate([dense_rows, keyword_rows])).astype(np.int64)
        if rows.size == 0:
            return []
        dense = self.matrix[rows] @ vector
        fused = self._fuse(dense, keyword[rows])
        order = np.lexsort((rows, -fused))[:k]
        return list(map(PieceHit, rows[order].tolist(), fused[order].tolist(), dense[order].tolist()))

    def _fuse(self, dense: np.ndarray, keyword: np.ndarray) -> np.ndarray:
        if self.fusion.method == "rrf":
            return _rrf(dense, self.fusion.rrf_k) + _rrf(keyword, self.fusion.rrf_k, zero_is_absent=True)
        alpha = self.fusion.alpha
        return alpha * _minmax(dense) + (1 - alpha) * _minmax(keyword)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    if scores.size == 0:
        return np.zeros(0, dtype=np.int64)
    k = min(k, scores.size)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.where(values > 0, 1.0, 0.0) if high > 0 else np.zeros_like(values)
    return (values - low) / (high - low)


def _rrf(values: np.ndarray, k: int, *, zero_is_absent: bool = False) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(1, len(values) + 1)
    out = 1.0 / (k + ranks)
    return np.where(values > 0, out, 0.0) if zero_is_absent else out
