"""Near-duplicate content: items that say the same thing. One rule, used by the curator, the
scenario checks and the audit.

A pair of items is screened by their mean vectors (the normalised mean of their piece vectors,
cosine at or above `SCREEN`) and confirmed passage by passage: each item's passages must, on
average, find a close counterpart in the other (`alignment` at or above `ALIGNED`, the lower of
the two directions). Mean vectors alone crowd together in one library - two overviews of the same
product score almost as high as two versions of one guide - while aligned passages separate them.
Measured on the sample library (docs/audit.md): the planted pairs align at 0.941, 0.902 and 0.754;
the best-aligned distinct pair that passes the screen aligns at 0.658.

Pages made from one template - "Bitbucket Cloud vs. Sourcegraph" and "Bitbucket Server vs.
Sourcegraph", two people's READMEs, two roles' competency frameworks - align as well as two
versions of one page, but are about different subjects and must not be merged or retired. A pair
is about different subjects when each names its own subject: a word of its title or file name that
the other's lacks and that its own text uses at least twice and at least twice as often as the
other's (or, for a name only in the file name, that neither text uses). Versions of one item - the
two differ by a year in their title or id, or by words such as "old", "new", "draft" - are never
different subjects.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from indexer.store import IndexSnapshot, StoredDocument

SCREEN = 0.85
ALIGNED = 0.72
_WORD = re.compile(r"[a-z][a-z0-9]+")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_FUNCTION = frozenset(
    "a an the and or of to for in on vs with from by at is are be as our your their this that it its how what why "
    "when".split()
)
_VERSION = frozenset(
    "new old older newer latest current previous final draft copy updated revised archive archived legacy version "
    "v1 v2 v3".split()
)


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
        if aligned >= ALIGNED and not different_subjects(snapshot, a, b):
            out.append(DuplicatePair(a, b, float(sims[a, b]), aligned))
    return out


def different_subjects(snapshot: IndexSnapshot, a: int, b: int) -> bool:
    """Whether two similar items are each about their own subject (see the module's doc)."""
    first, second = snapshot.documents[a], snapshot.documents[b]
    if _years(first) != _years(second):
        return False  # versions of one item
    texts = _texts(snapshot, (a, b))
    return _own_subject(first, second, texts[a], texts[b]) and _own_subject(second, first, texts[b], texts[a])


def _own_subject(item: StoredDocument, other: StoredDocument, mine: Counter[str], theirs: Counter[str]) -> bool:
    title, name = _name_words(item)
    other_title, other_name = _name_words(other)
    for word in (title | name) - (other_title | other_name):
        if mine[word] >= 2 and theirs[word] * 2 <= mine[word]:
            return True
        if word in name and mine[word] == 0 and theirs[word] == 0:
            return True
    return False


def _name_words(document: StoredDocument) -> tuple[set[str], set[str]]:
    stem = document.rel_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return _words(document.meta.title), _words(stem.replace("_", " ").replace("-", " "))


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _FUNCTION and w not in _VERSION}


def _years(document: StoredDocument) -> set[str]:
    return set(_YEAR.findall(f"{document.meta.title} {document.meta.id}"))


def _texts(snapshot: IndexSnapshot, docs: tuple[int, ...]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {doc: Counter() for doc in docs}
    for section in snapshot.sections:
        if section.doc in counts:
            counts[section.doc].update(w for w in _WORD.findall(f"{section.heading} {section.text}".lower()))
    return counts


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
