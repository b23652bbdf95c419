"""Near-duplicate content: items that say the same thing. One rule, applied when the index is
built; the pairs are stored in the build and used by the curator, the scenario checks and the
audit (recommender/duplicates.py looks them up).

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.store import StoredDocument

SCREEN = 0.85
ALIGNED = 0.72
EXACT_DOCUMENTS = 5_000  # up to this many documents, every pair is screened
NEIGHBOURS = 16  # past it, each document's nearest this many
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


def mean_vectors(piece_doc: np.ndarray, matrix: np.ndarray, documents: int, *, chunk: int = 200_000) -> np.ndarray:
    """One normalised vector per document: the mean of its pieces' vectors (summed in chunks)."""
    sums = np.zeros((documents, matrix.shape[1]), dtype=np.float64)
    for start in range(0, len(piece_doc), chunk):
        np.add.at(sums, piece_doc[start : start + chunk], np.asarray(matrix[start : start + chunk], dtype=np.float64))
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1, norms)).astype(np.float32)


def alignment(first: np.ndarray, second: np.ndarray) -> float:
    """How well each set of passage vectors finds a counterpart in the other: the lower mean best match."""
    if len(first) == 0 or len(second) == 0:
        return 0.0
    sims = first @ second.T
    return float(min(sims.max(axis=1).mean(), sims.max(axis=0).mean()))


@dataclass(frozen=True)
class Library:
    """What the rule reads of a library: per document its metadata, path, piece rows and words."""

    documents: Sequence[StoredDocument]
    piece_doc: np.ndarray  # nondecreasing: a document's pieces are consecutive rows
    matrix: np.ndarray  # piece vectors
    text: Callable[[int], str]  # a document's whole text (headings and sections)

    def pieces(self, doc: int) -> np.ndarray:
        start, end = np.searchsorted(self.piece_doc, [doc, doc + 1])
        return np.asarray(self.matrix[start:end], dtype=np.float32)


def screened(vectors: np.ndarray, among: np.ndarray | None = None) -> list[tuple[int, int, float]]:
    """Pairs (a < b) of documents whose mean vectors' cosine is at least SCREEN, with it.

    `among`: the documents to screen against all others (the changed ones of an incremental build); None: all.
    Up to `EXACT_DOCUMENTS` documents every pair is compared; past it each document's `NEIGHBOURS` nearest
    (an HNSW graph over the mean vectors) are, so a document with more near copies than that keeps its closest.
    """
    n = len(vectors)
    queries = np.arange(n) if among is None else np.asarray(among, dtype=np.int64)
    found: dict[tuple[int, int], float] = {}
    if n <= EXACT_DOCUMENTS:
        for start in range(0, len(queries), 2048):
            block = queries[start : start + 2048]
            sims = vectors[block] @ vectors.T
            for i, j in zip(*np.nonzero(sims >= SCREEN)):
                a, b = int(block[i]), int(j)
                if a != b:
                    found[(min(a, b), max(a, b))] = float(sims[i, j])
        return [(a, b, s) for (a, b), s in sorted(found.items())]
    import faiss

    graph = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = 64
    graph.add(np.ascontiguousarray(vectors, dtype=np.float32))
    graph.hnsw.efSearch = 64
    for start in range(0, len(queries), 10_000):
        block = queries[start : start + 10_000]
        sims, ids = graph.search(np.ascontiguousarray(vectors[block], dtype=np.float32), NEIGHBOURS + 1)
        for i, j in zip(*np.nonzero(sims >= SCREEN)):
            a, b = int(block[i]), int(ids[i, j])
            if b >= 0 and a != b:
                found[(min(a, b), max(a, b))] = float(vectors[a] @ vectors[b])
    return [(a, b, s) for (a, b), s in sorted(found.items())]


def confirmed(library: Library, candidates: Iterable[tuple[int, int, float]]) -> list[DuplicatePair]:
    """The screened pairs whose passages align and that are not about different subjects."""
    out = []
    for a, b, similarity in candidates:
        aligned = alignment(library.pieces(a), library.pieces(b))
        if aligned >= ALIGNED and not different_subjects(library, a, b):
            out.append(DuplicatePair(a, b, similarity, aligned))
    return out


def find_pairs(
    library: Library,
    vectors: np.ndarray,
    *,
    previous: Sequence[DuplicatePair] = (),
    unchanged: np.ndarray | None = None,
) -> list[DuplicatePair]:
    """Every near-duplicate pair of the library (index time).

    Incremental when `unchanged` (a mask over documents whose text and vectors are those of the previous build)
    is given: pairs of two unchanged documents are taken from `previous` (in this build's numbering), and only
    the other documents are screened.
    """
    if unchanged is None:
        return confirmed(library, screened(vectors))
    kept = [p for p in previous if unchanged[p.first] and unchanged[p.second]]
    fresh = confirmed(library, screened(vectors, among=np.flatnonzero(~unchanged)))
    return sorted([*kept, *fresh], key=lambda p: (p.first, p.second))


def different_subjects(library: Library, a: int, b: int) -> bool:
    """Whether two similar items are each about their own subject (see the module's doc)."""
    first, second = library.documents[a], library.documents[b]
    if _years(first) != _years(second):
        return False  # versions of one item
    mine, theirs = (Counter(_WORD.findall(library.text(doc).lower())) for doc in (a, b))
    return _own_subject(first, second, mine, theirs) and _own_subject(second, first, theirs, mine)


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
