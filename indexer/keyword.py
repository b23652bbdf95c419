"""Keyword search (bm25s): one tokenizer configuration shared by indexing and querying."""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import Stemmer

_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default pattern (scikit-learn's CountVectorizer)


@functools.cache
def _bm25s() -> Any:
    """bm25s, imported on first use. It imports numba, scipy and tqdm whenever they are installed (the eval and index
    extras bring them), though the numpy backends and silent calls used here never touch them: hiding them for this
    one import saves ~0.25 s and ~60 MB in every process that answers a query. They stay importable for everyone
    else."""
    hidden = [name for name in ("numba", "scipy", "tqdm") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
    try:
        import bm25s
    finally:
        for name in hidden:
            del sys.modules[name]
    return bm25s


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
    """A bm25s index (a `bm25s.BM25`) over piece texts; scores for every piece, so they can be fused."""

    def __init__(self, retriever: Any, config: KeywordConfig) -> None:
        self._retriever = retriever
        self.config = config
        self._stemmer = Stemmer.Stemmer(config.stemmer) if config.stemmer else None
        self._stopwords = (
            frozenset(_bm25s().tokenization._infer_stopwords(config.stopwords)) if config.stopwords else frozenset()
        )

    @classmethod
    def build(cls, texts: Sequence[str], config: KeywordConfig) -> KeywordIndex:
        stemmer = Stemmer.Stemmer(config.stemmer) if config.stemmer else None
        tokens = _bm25s().tokenize(list(texts), stemmer=stemmer, stopwords=config.stopwords, show_progress=False)
        retriever = _bm25s().BM25(k1=config.k1, b=config.b, method=config.method)
        retriever.index(tokens, show_progress=False)
        return cls(retriever, config)

    @classmethod
    def load(cls, folder: Path, config: KeywordConfig) -> KeywordIndex:
        return cls(_bm25s().BM25.load(str(folder), show_progress=False, verbosity=0), config)

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every piece for `query` (zeros where no query term occurs)."""
        tokens = self.analyse(query)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    @property
    def size(self) -> int:
        return int(self._retriever.scores["num_docs"])

    def analyse(self, text: str) -> list[str]:
        """`text` as `bm25s.tokenize` analysed the pieces: lowercased words of 2+ characters, no stop words, stemmed.

        The same steps without bm25s's per-call set-up (progress bars, vocabulary ids), which cost more than the
        analysis itself for one sentence; tests/test_keyword.py checks both agree on the whole sample corpus.
        """
        words = [w for w in _WORD.findall(text.lower()) if w not in self._stopwords]
        return list(self._stemmer.stemWords(words)) if self._stemmer is not None else words

    def terms(self, text: str) -> list[str]:
        """The analysed terms of `text` (lowercased, stemmed, no stop words), as the index sees them."""
        return list(dict.fromkeys(self.analyse(text)))

    def idf(self, term: str) -> float:
        """BM25 inverse document frequency over pieces; a term the library never uses gets the highest."""
        rows = self._rows(term)
        n = self.size
        return math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))

    def coverage(self, query: str, rows: np.ndarray) -> np.ndarray:
        """For each piece in `rows`: the IDF-weighted share of the query's terms that it contains."""
        terms = self.terms(query)
        weights = np.array([self.idf(t) for t in terms])
        if not terms or weights.sum() == 0:
            return np.zeros(len(rows))
        found = np.array([self._holds(t)[rows] for t in terms], dtype=np.float64)
        return (weights @ found) / weights.sum()

    def occurs(self, term: str, allowed: np.ndarray | None = None) -> bool:
        """Whether an analysed `term` occurs in any piece (any piece `allowed`, a boolean mask, lets through)."""
        rows = self._rows(term)
        return bool(rows.size) if allowed is None else bool(allowed[rows].any())

    def _holds(self, term: str) -> np.ndarray:
        """A mask over all pieces: True where the piece contains `term`."""
        mask = np.zeros(self.size, dtype=bool)
        mask[self._rows(term)] = True
        return mask

    def _rows(self, term: str) -> np.ndarray:
        column = self._retriever.vocab_dict.get(term)
        if column is None:
            return np.zeros(0, dtype=np.int64)
        indptr, indices = self._retriever.scores["indptr"], self._retriever.scores["indices"]
        return np.asarray(indices[indptr[column] : indptr[column + 1]])
