"""The synthetic library generator: deterministic, well-formed, consistent text and vectors, and real markdown
that the real indexer reads back as the same content."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks import synthetic_library as synth
from indexer.build import BuildOptions, build_index
from indexer.calibration import unrelated_problems
from indexer.documents import read_document, reading_minutes
from indexer.embed import Embedder
from indexer.keyword import KeywordConfig, KeywordIndex
from indexer.metadata import ContentMeta
from indexer.sentences import split_sentences
from indexer.sources import discover
from indexer.vocabulary import INDUSTRIES, ROLES, STAGES, TYPES, Vocabulary

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def small() -> synth.SyntheticLibrary:
    return synth.generate(200, seed=7, today=TODAY)


@pytest.fixture(scope="module")
def large() -> synth.SyntheticLibrary:
    """Big enough for shares, planted duplicates and many topics (1,000 documents)."""
    return synth.generate(10_000, seed=11, today=TODAY)


def _same(a: synth.SyntheticLibrary, b: synth.SyntheticLibrary) -> bool:
    return (
        a.content == b.content
        and a.piece_vectors.tobytes() == b.piece_vectors.tobytes()
        and a.sentence_vectors.tobytes() == b.sentence_vectors.tobytes()
        and a.question_vectors.tobytes() == b.question_vectors.tobytes()
        and a.planted_duplicates == b.planted_duplicates
    )


def test_the_same_seed_gives_the_same_library_and_another_seed_another(small: synth.SyntheticLibrary) -> None:
    assert _same(small, synth.generate(200, seed=7, today=TODAY))
    assert not _same(small, synth.generate(200, seed=8, today=TODAY))
    again = synth.queries(200, 5, seed=7)
    assert [q.text for q in again] == [q.text for q in synth.queries(200, 5, seed=7)]


def test_the_wording_can_change_without_moving_a_vector(
    small: synth.SyntheticLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth, "_JOINERS", ("whereas",))
    reworded = synth.generate(200, seed=7, today=TODAY)
    assert [p.text for p in reworded.content.pieces] != [p.text for p in small.content.pieces]
    assert reworded.piece_vectors.tobytes() == small.piece_vectors.tobytes()
    assert reworded.sentence_vectors.tobytes() == small.sentence_vectors.tobytes()


def test_shapes_and_normalisation(large: synth.SyntheticLibrary) -> None:
    content = large.content
    assert len(content.pieces) == 10_000 and content.issues == ()
    assert large.piece_vectors.shape == (10_000, synth.DIMENSION)
    assert large.sentence_vectors.shape == (len(content.sentences), synth.DIMENSION)
    assert large.question_vectors.shape == (len(unrelated_problems()), synth.DIMENSION)
    for matrix in (large.piece_vectors, large.sentence_vectors, large.question_vectors):
        assert matrix.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)


def test_pieces_sentences_and_sections_are_shaped_as_asked(small: synth.SyntheticLibrary) -> None:
    content = small.content
    words = [len(p.text.split()) for p in content.pieces]
    assert min(words) >= synth.PIECE_WORDS[0] and max(words) <= synth.PIECE_WORDS[1]
    per_piece = Counter(s.first_piece for s in content.sentences)
    assert set(per_piece.values()) <= {2, 3, 4} and len(per_piece) == len(content.pieces)
    per_document = Counter(s.doc for s in content.sections)
    assert set(per_document.values()) <= {2, 3, 4}
    for row, section in enumerate(content.sections):
        texts = [p.text for p in content.pieces if p.section == row]
        assert section.text == "\n".join(texts)
        assert section.word_count == len(section.text.split())
        assert section.reading_minutes == reading_minutes(section.word_count)
        mine = [s.text for s in content.sentences if s.section == row]
        assert mine == [s.text for s in split_sentences(section.text)]  # what a real build would cut
    for d, document in enumerate(content.documents):
        assert document.word_count == sum(s.word_count for s in content.sections if s.doc == d)
        assert document.reading_minutes == reading_minutes(document.word_count)


def test_sentences_lie_near_their_piece_and_questions_far_from_the_library(large: synth.SyntheticLibrary) -> None:
    pieces = np.array([s.first_piece for s in large.content.sentences])
    cosine = np.einsum("ij,ij->i", large.sentence_vectors, large.piece_vectors[pieces])
    assert cosine.min() > 0.65 and 0.75 < cosine.mean() < 0.9
    others = large.piece_vectors[np.random.default_rng(0).integers(0, 10_000, len(pieces))]
    assert np.einsum("ij,ij->i", large.sentence_vectors, others).mean() < 0.3
    best_question = (large.question_vectors @ large.piece_vectors.T).max(axis=1)
    best_query = np.array([(q.vector @ large.piece_vectors.T).max() for q in synth.queries(10_000, 50, seed=11)])
    assert np.median(best_question) < np.median(best_query) - 0.15


def test_metadata_is_valid_and_shares_are_as_asked(large: synth.SyntheticLibrary) -> None:
    documents = large.content.documents
    assert len({d.meta.id for d in documents}) == len(documents)
    for d in documents:
        assert ContentMeta.model_validate(d.meta.model_dump()) == d.meta
        assert d.rel_path == f"{d.meta.id}.md"
        assert d.meta.type in TYPES and d.meta.stages and set(d.meta.stages) <= set(STAGES)
        assert d.meta.roles and set(d.meta.roles) <= set(ROLES) and set(d.meta.industries) <= set(INDUSTRIES)
        assert d.meta.owner and d.meta.updated is not None and d.meta.updated <= TODAY
    buyer = np.mean([d.meta.audience == "buyer" for d in documents])
    expired = np.mean([d.meta.is_expired(TODAY) for d in documents])
    assert abs(buyer - 0.1) < 0.01 and abs(expired - synth.EXPIRED_SHARE) < 0.01
    assert 0.2 < np.mean([bool(d.meta.industries) for d in documents]) < 0.4
    assert not any(d.meta.type in ("battlecard", "playbook") for d in documents if d.meta.audience == "buyer")
    mostly_buyer = synth.generate(2_000, seed=11, buyer_share=0.9, today=TODAY).content.documents
    assert abs(np.mean([d.meta.audience == "buyer" for d in mostly_buyer]) - 0.9) < 0.02


def test_planted_duplicates_are_near_copies_and_other_documents_are_not(large: synth.SyntheticLibrary) -> None:
    content, vectors = large.content, large.piece_vectors
    documents = len(content.documents)
    assert (
        0.5 * synth.DUPLICATE_RATE * documents <= len(large.planted_duplicates) <= 2 * synth.DUPLICATE_RATE * documents
    )
    rows = [[i for i, p in enumerate(content.pieces) if p.doc == d] for d in range(documents)]
    for original, copy in large.planted_duplicates:
        assert original < copy and len(rows[original]) == len(rows[copy])
        cosine = np.einsum("ij,ij->i", vectors[rows[original]], vectors[rows[copy]])
        assert cosine.min() > 0.95
        assert content.documents[copy].meta.title == f"{content.documents[original].meta.title} (revised)"
        assert [content.pieces[i].text for i in rows[original]] != [content.pieces[i].text for i in rows[copy]]
    means = _document_means(vectors, content, documents)
    similarity = means @ means.T
    np.fill_diagonal(similarity, 0)
    planted = {frozenset(pair) for pair in large.planted_duplicates}
    found = {frozenset(map(int, pair)) for pair in np.argwhere(np.triu(similarity) > 0.95)}
    assert found == planted  # the planted pairs, and only they, are near-duplicates by document vector


def _document_means(vectors: np.ndarray, content: synth.BuildContent, documents: int) -> np.ndarray:
    doc = np.array([p.doc for p in content.pieces])
    sums = np.zeros((documents, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, doc, vectors)
    return sums / np.linalg.norm(sums, axis=1, keepdims=True)


def test_keyword_and_dense_search_agree_on_the_query_topic(large: synth.SyntheticLibrary) -> None:
    keyword = KeywordIndex.build([p.text for p in large.content.pieces], KeywordConfig())
    texts = {p.text for p in large.content.pieces}
    topical = []
    for query in synth.queries(10_000, 30, seed=11):
        assert query.text not in texts and (large.piece_vectors @ query.vector).max() < 0.99  # never a copy
        dense = np.argsort(-(large.piece_vectors @ query.vector))[:10]
        words = np.argsort(-keyword.scores(query.text))[:10]
        topical.append(
            (np.mean(large.piece_topics[dense] == query.topic), np.mean(large.piece_topics[words] == query.topic))
        )
    dense_share, keyword_share = np.mean(topical, axis=0)
    assert dense_share > 0.8 and keyword_share > 0.8


def test_markdown_reads_back_as_the_same_content(small: synth.SyntheticLibrary, tmp_path: Path) -> None:
    synth.write_markdown(small, tmp_path)
    files, issues = discover([tmp_path])
    assert issues == [] and len(files) == len(small.content.documents)
    by_path = {f.rel_path: f for f in files}
    content = small.content
    for d, stored in enumerate(content.documents):
        document, found = read_document(by_path[stored.rel_path], Vocabulary())
        assert found == [] and document is not None
        assert document.meta == stored.meta
        assert (document.content_hash, document.word_count) == (stored.content_hash, stored.word_count)
        mine = [s for s in content.sections if s.doc == d]
        assert [(s.heading, s.heading_path, s.level, s.line, s.text) for s in document.sections] == [
            (s.heading, s.heading_path, s.level, s.line, s.text) for s in mine
        ]


def test_the_real_indexer_builds_the_markdown_without_issues(
    small: synth.SyntheticLibrary, tmp_path: Path, embedder: Embedder
) -> None:
    synth.write_markdown(small, tmp_path / "library")
    options = BuildOptions(index=tmp_path / "index", sentences=False)  # sentences: split_sentences checked above
    summary = build_index([tmp_path / "library"], options=options, embedder=embedder, vocabulary=Vocabulary())
    assert summary.issues == [] and summary.skipped == 0 and summary.treated_as_internal == 0
    assert summary.documents == len(small.content.documents) and summary.pieces >= len(small.content.sections)


def test_the_command_prints_a_summary_and_refuses_large_markdown(tmp_path: Path) -> None:
    app = synth.typer.Typer()
    app.command()(synth.main)
    runner = CliRunner()
    refused = runner.invoke(app, ["--pieces", "60000", "--markdown", str(tmp_path / "big")])
    assert refused.exit_code == 2 and "at most 50,000 pieces" in " ".join(refused.output.split())
    assert not (tmp_path / "big").exists()
    made = runner.invoke(app, ["--pieces", "300", "--markdown", str(tmp_path / "out"), "--no-stats"])
    assert made.exit_code == 0, made.output
    assert "peak RSS MB" in made.output and "expired share" in made.output
    assert len(list((tmp_path / "out").rglob("*.md"))) == len(synth.generate(300).content.documents)
    again = runner.invoke(app, ["--pieces", "300", "--markdown", str(tmp_path / "out"), "--no-stats"])
    assert again.exit_code == 2 and "is not empty" in " ".join(again.output.split())
    bad = runner.invoke(app, ["--pieces", "0"])
    assert bad.exit_code == 2 and "pieces must be at least 1" in " ".join(bad.output.split())
