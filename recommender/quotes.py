"""The quote behind a reason: the sentence of an item that best answers the problem.

Among the sentences of the passage that answers a problem best, each is scored against the
problem by the model (cosine of the sentence and the problem) plus TERMS x the IDF-weighted share
of the problem's terms it contains, so a sentence that only names the same product loses to one
that answers the question. A table row is quoted with its header row (indexer/sentences.py). A
short sentence takes the next sentence of its section along when that one answers nearly as well.
"""

from __future__ import annotations

import numpy as np

from indexer.keyword import KeywordIndex
from indexer.store import IndexSnapshot
from indexer.vectors import FileRows
from recommender.candidates import Match

QUOTE_CHARS = 240
SHORT_QUOTE = 120  # shorter quotes may take the next sentence along
TERMS = 0.3
ALONG = 0.8  # the next sentence comes along when it scores at least this share of the best
ANALYSED_KEPT = 100_000  # sentences whose analysed terms are kept between requests


class SentenceTerms:
    """The analysed terms of one snapshot's sentences, kept once computed (a build never changes)."""

    def __init__(self, snapshot: IndexSnapshot) -> None:
        self.snapshot = snapshot
        self._kept: dict[int, list[str]] = {}

    def __call__(self, row: int) -> list[str]:
        found = self._kept.get(row)
        if found is None:
            found = self.snapshot.keyword.terms(self.snapshot.sentences[row].text)
            if len(self._kept) < ANALYSED_KEPT:
                self._kept[row] = found
        return found


class Quoter:
    """Quotes for the matches of one request (whose problem vectors it holds)."""

    def __init__(
        self,
        snapshot: IndexSnapshot,
        sentence_vectors: np.ndarray | FileRows,
        sentence_terms: SentenceTerms,
        problems: tuple[str, ...],
        vectors: np.ndarray,
    ) -> None:
        self.snapshot, self.sentence_vectors, self.sentence_terms = snapshot, sentence_vectors, sentence_terms
        self.problems, self.vectors = problems, vectors
        self._terms = [weighted_terms(snapshot.keyword, p) for p in problems]

    def quote(self, match: Match) -> str:
        rows = self.snapshot.sentences_of(match.piece)
        if rows.size == 0:
            return clip(self.snapshot.pieces[match.piece].text)
        scores = self._scores(match.problem, rows)
        best = int(np.argmax(scores))
        row = int(rows[best])
        quote = self.snapshot.sentences[row].text
        if (
            len(quote) < SHORT_QUOTE
            and best + 1 < len(rows)
            and self._along(row, int(rows[best + 1]))
            and scores[best + 1] >= ALONG * scores[best]
        ):
            quote = f"{quote} {self.snapshot.sentences[int(rows[best + 1])].text}"
        return clip(quote)

    def _scores(self, problem: int, rows: np.ndarray) -> np.ndarray:
        similarity = np.asarray(self.sentence_vectors[rows], dtype=np.float32) @ self.vectors[problem].astype(
            np.float32
        )
        terms = self._terms[problem]
        return similarity + TERMS * np.array([term_share(terms, self.sentence_terms(int(r))) for r in rows])

    def _along(self, row: int, following: int) -> bool:
        first, second = self.snapshot.sentences[row], self.snapshot.sentences[following]
        return following == row + 1 and first.section == second.section and " / " not in second.text


def weighted_terms(keyword: KeywordIndex, problem: str) -> dict[str, float]:
    """The problem's analysed terms and their IDF weights."""
    return {t: keyword.idf(t) for t in keyword.terms(problem)}


def term_share(terms: dict[str, float], found: list[str]) -> float:
    """The IDF-weighted share of the problem's `terms` among the analysed terms `found` in a text."""
    total = sum(terms.values())
    if not total:
        return 0.0
    present = set(found)
    return sum(w for t, w in terms.items() if t in present) / total


def clip(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= QUOTE_CHARS:
        return text
    return text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
