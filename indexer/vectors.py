"""The dense vector index (FAISS): exact inner-product search, or HNSW for very large libraries.

Vectors are L2-normalised, so inner product is cosine similarity. Exact search is used up to
`HNSW_THRESHOLD` pieces; past it an HNSW graph keeps queries fast. The threshold and the HNSW
parameters come from the scale benchmark (docs/benchmarks.md), which checks recall@10 >= 0.99
against exact search.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import faiss  # imported where it is used, so that importing this module stays cheap

HNSW_THRESHOLD = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


def build_vector_index(vectors: np.ndarray, *, hnsw_threshold: int = HNSW_THRESHOLD) -> faiss.Index:
    import faiss

    dimension = vectors.shape[1]
    index: faiss.Index
    if len(vectors) >= hnsw_threshold:
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def all_vectors(index: faiss.Index) -> np.ndarray:
    """Every stored vector, in row order (exact for flat and HNSW indexes, which keep them)."""
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(0, index.ntotal)


def kind_of(index: faiss.Index) -> str:
    import faiss

    return "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat-ip"


def save_vector_index(index: faiss.Index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load_vector_index(path: Path) -> faiss.Index:
    import faiss

    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and piece rows of the `k` nearest pieces (rows of -1 are dropped)."""
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores, rows = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    keep = rows[0] >= 0
    return scores[0][keep], rows[0][keep]
