"""Keyword search (bm25s): one tokenizer configuration shared by indexing and querying."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import bm25s
import numpy as np
import Stemmer


@dataclass(frozen=True)
class KeywordConfig:
    """BM25 parameters and text analysis; stored in the manifest so queries match the index."""

    k1: float = 0.9
    b: float = 0.4
    method: str = "lucene"
    stemmer: str | None = "english"
    stopwords: str | None = "en"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class KeywordIndex:
    """A bm25s index over piece texts; scores for every piece, so they can be fused."""

    def __init__(self, retriever: bm25s.BM25, config: KeywordConfig) -> None:
        self._retriever = retriever
        self.config = config
        self._stemmer = Stemmer.Stemmer(config.stemmer) if config.stemmer else None

    @classmethod
    def build(cls, texts: Sequence[str], config: KeywordConfig) -> "KeywordIndex":
        stemmer = Stemmer.Stemmer(config.stemmer) if config.stemmer else None
        tokens = bm25s.tokenize(list(texts), stemmer=stemmer, stopwords=config.stopwords, show_progress=False)
        retriever = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        retriever.index(tokens, show_progress=False)
        return cls(retriever, config)

    @classmethod
    def load(cls, folder: Path, config: KeywordConfig) -> "KeywordIndex":
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0), config)

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every piece for `query` (zeros where no query term occurs)."""
        tokens = bm25s.tokenize([query], stemmer=self._stemmer, stopwords=self.config.stopwords, return_ids=False, show_progress=False)[0]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    @property
    def size(self) -> int:
        return int(self._retriever.scores["num_docs"])


def query_terms(keyword: KeywordIndex, text: str) -> set[str]:
    """The analysed terms (stemmed, no stop words) of `text`, as the keyword index sees them."""
    tokens = bm25s.tokenize([text], stemmer=keyword._stemmer, stopwords=keyword.config.stopwords, return_ids=False, show_progress=False)[0]
    return set(tokens)
