"""The large-library parts of an index: graph search against exact search, the buyer graph, the metadata columns
against the audience rule, and near-duplicate pairs found at index time (also incrementally)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer import vectors as vector_module
from indexer.build import BuildOptions, build_index
from indexer.duplicates import Library, find_pairs
from indexer.embed import Embedder
from indexer.store import IndexSnapshot, load_index
from indexer.vectors import FileRows, VectorStore, build_graphs, load_vectors, save_vectors
from indexer.vocabulary import Vocabulary
from recommender.policy import may_see
from tests.conftest import CORPUS


def _library(n: int, seed: int = 3) -> np.ndarray:
    """Vectors in clusters (like embeddings of a library's topics), normalised."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n // 50, 64)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), n)] + 0.8 * rng.standard_normal((n, 64)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _recall(store: VectorStore, matrix: np.ndarray, queries: np.ndarray, allowed: np.ndarray | None) -> float:
    found = 0
    for query in queries:
        scores = matrix @ query
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        exact = set(np.argsort(-scores, kind="stable")[:10].tolist())
        rows, _ = store.search(query, 10, allowed)
        found += len(exact & set(rows.tolist()))
    return found / (10 * len(queries))


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[VectorStore, np.ndarray, np.ndarray]:
    """6,000 pieces with graphs (the threshold lowered for the test), a tenth of them buyer-facing, saved and loaded."""
    matrix = _library(6000)
    buyer = np.zeros(len(matrix), dtype=bool)
    buyer[np.random.default_rng(4).choice(len(matrix), 600, replace=False)] = True
    folder = tmp_path_factory.mktemp("vectors")
    original = vector_module.EXACT_ROWS
    vector_module.EXACT_ROWS = 100
    try:
        save_vectors(folder, matrix, build_graphs(matrix, buyer, threshold=1000))
    finally:
        vector_module.EXACT_ROWS = original
    return load_vectors(folder, len(matrix)), matrix, buyer


def test_a_small_library_is_searched_exactly(tmp_path: Path) -> None:
    matrix = _library(500)
    save_vectors(tmp_path, matrix, build_graphs(matrix, np.ones(500, dtype=bool)))
    store = load_vectors(tmp_path, 500)
    assert store.kind == "exact" and not store.graphs
    assert not store.matrix.flags.owndata and not store.matrix.flags.writeable  # the one copy, memory-mapped
    assert _recall(store, matrix, matrix[:20] * 0.9 + matrix[20:40] * 0.1, None) == 1.0


def test_graph_search_keeps_recall_at_10_against_exact_search(
    large: tuple[VectorStore, np.ndarray, np.ndarray],
) -> None:
    store, matrix, _ = large
    assert store.kind == "hnsw" and set(store.graphs) == {"all", "buyer"}
    queries = _library(6100, seed=9)[-100:]
    assert _recall(store, matrix, queries, None) >= 0.99


def test_a_buyer_request_searches_the_buyer_graph_and_finds_only_buyer_pieces(
    large: tuple[VectorStore, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, matrix, buyer = large
    monkeypatch.setattr(vector_module, "EXACT_ROWS", 100)  # so the graph, not an exact scan, answers
    allowed = buyer.copy()
    allowed[np.flatnonzero(buyer)[:30]] = False  # e.g. expired or already sent
    queries = _library(6100, seed=9)[-100:]
    searched = []
    original = store.graphs["buyer"].index.search

    class Spy:
        ntotal = store.graphs["buyer"].size

        def search(self, *args, **kwargs):
            searched.append(True)
            return original(*args, **kwargs)

    monkeypatch.setitem(store.graphs, "buyer", vector_module.Graph(Spy(), store.graphs["buyer"].rows))  # type: ignore[arg-type]
    assert _recall(store, matrix, queries, allowed) >= 0.99
    assert len(searched) == len(queries)
    for query in queries[:10]:
        rows, _ = store.search(query, 50, allowed)
        assert allowed[rows].all()


def test_a_small_allowed_set_is_scanned_exactly(large: tuple[VectorStore, np.ndarray, np.ndarray]) -> None:
    store, matrix, _ = large
    allowed = np.zeros(len(matrix), dtype=bool)
    allowed[::97] = True  # 62 pieces: fewer than EXACT_ROWS
    queries = _library(6100, seed=9)[-30:]
    assert _recall(store, matrix, queries, allowed) == 1.0
    assert store.search(queries[0], 10, np.zeros(len(matrix), dtype=bool))[0].size == 0


def test_the_metadata_columns_agree_with_the_audience_rule(corpus_index: Path, embedder: Embedder) -> None:
    snapshot = load_index(corpus_index, model_id=embedder.model_id)
    for today in (dt.date(2024, 1, 1), dt.date(2026, 11, 27), dt.date(2031, 1, 1)):
        for viewer in ("buyer", "seller"):
            expected = [may_see(d.meta, viewer, today) for d in snapshot.documents]
            assert snapshot.columns.visible(viewer, today).tolist() == expected
        assert snapshot.columns.expired(today).tolist() == [d.meta.is_expired(today) for d in snapshot.documents]


def _pairs_from_scratch(snapshot: IndexSnapshot) -> list[tuple[str, str]]:
    library = Library(snapshot.documents, snapshot.piece_doc, np.asarray(snapshot.matrix), snapshot.document_text)
    pairs = find_pairs(library, np.asarray(snapshot.document_vectors))
    return sorted(_ids(snapshot, p.first, p.second) for p in pairs)


def _stored(snapshot: IndexSnapshot) -> list[tuple[str, str]]:
    return sorted(_ids(snapshot, p.first, p.second) for p in snapshot.duplicate_pairs)


def _ids(snapshot: IndexSnapshot, first: int, second: int) -> tuple[str, str]:
    a, b = sorted((snapshot.documents[first].meta.id, snapshot.documents[second].meta.id))
    return a, b


def test_near_duplicate_pairs_are_stored_at_index_time(corpus_index: Path, embedder: Embedder) -> None:
    snapshot = load_index(corpus_index, model_id=embedder.model_id)
    stored = _stored(snapshot)
    assert len(stored) >= 3  # the sample library's planted pairs
    assert stored == _pairs_from_scratch(snapshot)


def test_an_incremental_build_finds_the_pairs_a_full_one_does(
    corpus_index: Path, embedder: Embedder, tmp_path: Path
) -> None:
    """Copy the corpus and its index (with the embedding cache), plant a new copy of an item and change another:
    the rebuild screens only those, and its pairs are the ones a build from scratch finds."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    root = tmp_path / "index"
    shutil.copytree(corpus_index, root, symlinks=True)
    before = load_index(root, model_id=embedder.model_id)
    kept_pair = _stored(before)[0]
    source = sorted(corpus.rglob("*.md"))[5]
    text = source.read_text(encoding="utf-8")
    copy = source.with_name(f"{source.stem}-old.md")  # "old": a version of the same item, not another subject
    copy.write_text(text.replace("\nid: ", "\nid: old-", 1), encoding="utf-8")
    build_index([corpus], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())
    after = load_index(root, model_id=embedder.model_id)
    assert _stored(after) == _pairs_from_scratch(after)
    assert kept_pair in _stored(after)
    original, planted = (
        next(d.meta.id for d in after.documents if d.rel_path.endswith(f"/{path.name}") or d.rel_path == path.name)
        for path in (source, copy)
    )
    assert tuple(sorted((original, planted))) in _stored(after)


def test_file_rows_read_what_numpy_saved(tmp_path: Path) -> None:
    saved = np.random.default_rng(5).standard_normal((300, 16)).astype(np.float16)
    np.save(tmp_path / "rows.npy", saved)
    rows = FileRows(tmp_path / "rows.npy")
    assert len(rows) == 300 and rows.shape == (300, 16) and rows.dtype == np.float16
    wanted = np.array([7, 8, 9, 299, 0, 8, 150])  # runs, repeats, both ends, out of order
    assert np.array_equal(rows[wanted], saved[wanted])
    assert np.array_equal(rows[42], saved[42])
    assert rows[np.zeros(0, dtype=np.int64)].shape == (0, 16)
    with pytest.raises(IndexError):
        rows[np.array([300])]
