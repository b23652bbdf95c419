"""How strongly a passage answers a problem: one definition, used to rank, to find gaps and to calibrate.

    strength = best sentence similarity + COVERAGE x term coverage + VOCABULARY x vocabulary coverage

- *best sentence similarity*: the cosine of the problem and the passage's closest sentence (a
  whole sentence, list item or table row with its header). A 256-token passage on a neighbouring
  topic is diluted; the one sentence that answers is not.
- *term coverage*: the IDF-weighted share of the problem's terms the passage contains.
- *vocabulary coverage*: the IDF-weighted share of the problem's terms found anywhere in what may
  be answered from. A buyer who names something the library never mentions (a standard, a
  product, a regulation) is rarely answered by it, however close the wording of the rest.

The weights were chosen out of fold (`python -m benchmarks.calibrate_gaps`); what a strength
means for one library - how high an answer must reach - is calibrated when that library is
indexed (indexer/calibration.py) and kept in its build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.keyword import KeywordIndex
from indexer.vectors import FileRows

COVERAGE = 0.3  # chosen out of fold with the gap threshold: python -m benchmarks.calibrate_gaps
VOCABULARY = 0.6


@dataclass(frozen=True)
class AnswerWeights:
    coverage: float = COVERAGE
    vocabulary: float = VOCABULARY


class AnswerScorer:
    """Scores pieces of one index as answers to a problem; read-only and safe to share between threads."""

    def __init__(
        self,
        *,
        keyword: KeywordIndex,
        piece_vectors: np.ndarray,
        sentence_vectors: np.ndarray | FileRows,
        piece_sentences: tuple[np.ndarray, np.ndarray],
        weights: AnswerWeights | None = None,
    ) -> None:
        self.keyword = keyword
        self.piece_vectors = piece_vectors
        self.sentence_vectors = sentence_vectors  # float16 rows (indexer.vectors.FileRows): only those scored are read
        self.indptr, self.indices = piece_sentences
        self.weights = weights or AnswerWeights()

    def strengths(
        self, problem: str, vector: np.ndarray, rows: np.ndarray, *, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """The answer strength of each piece in `rows`; `allowed` (a mask over pieces) is what may be answered from."""
        return self.answers(problem, vector, rows, allowed=allowed)[0]

    def answers(
        self, problem: str, vector: np.ndarray, rows: np.ndarray, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each piece's answer strength and its best sentence's row (-1 for a piece without sentences)."""
        rows = np.asarray(rows, dtype=np.int64)
        similarity, sentence = self.best_sentences(vector, rows)
        coverage = self.keyword.coverage(problem, rows)
        strength = (
            similarity
            + self.weights.coverage * coverage
            + self.weights.vocabulary * self.vocabulary_coverage(problem, allowed)
        )
        return strength, sentence

    def best_sentences(self, vector: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per piece, the cosine of `vector` and its closest sentence (the whole piece's when it has none), and that
        sentence's row."""
        similarity = (self.piece_vectors[rows] @ vector).astype(np.float64)
        sentence = np.full(len(rows), -1, dtype=np.int64)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        if lengths.sum() == 0:
            return similarity, sentence
        has = lengths > 0
        owner = np.repeat(np.arange(len(rows)), lengths)
        group = np.cumsum(lengths) - lengths  # where each piece's sentences start in the gathered arrays
        gather = self.indices[starts[owner] + np.arange(int(lengths.sum())) - group[owner]]
        sims = np.asarray(self.sentence_vectors[gather], dtype=np.float32) @ vector.astype(np.float32)
        best = np.maximum.reduceat(sims, group[has])
        position = np.arange(len(sims))
        first = np.minimum.reduceat(
            np.where(sims == np.repeat(best, lengths[has]), position, len(sims)), group[has]
        )  # the first best, for ties
        similarity[has] = best
        sentence[has] = gather[first]
        return similarity, sentence

    def vocabulary_coverage(self, problem: str, allowed: np.ndarray | None) -> float:
        """The IDF-weighted share of the problem's terms that occur in some allowed piece."""
        terms = self.keyword.terms(problem)
        weights = np.array([self.keyword.idf(t) for t in terms])
        if not terms or weights.sum() == 0:
            return 1.0
        present = np.array([self.keyword.occurs(t, allowed) for t in terms], dtype=np.float64)
        return float(weights @ present / weights.sum())
