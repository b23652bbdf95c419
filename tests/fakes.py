"""A small deterministic embedder for unit tests of pure logic (never the only test of a path).

Each word is hashed into one of `dimension` buckets; a text's vector is its normalised bag of
buckets, so texts sharing words are similar and identical texts are identical.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from indexer.embed import Embedder
from indexer.vectors import VectorStore


class BagOfWordsEmbedder(Embedder):
    def __init__(self, dimension: int = 256, max_tokens: int = 64) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.model_id = f"bag-of-words-{dimension}@test"
        self.calls = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        return [len(re.findall(r"\w+|[^\w\s]", t)) for t in texts]


def search_each(store: VectorStore, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and rows of the `k` nearest pieces for each query, searched one at a time as the product does."""
    found = [store.search(query, k) for query in queries]
    return np.vstack([scores for _, scores in found]), np.vstack([rows for rows, _ in found])
