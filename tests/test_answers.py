"""indexer.answers and indexer.calibration: answer strength and the per-library gap scale."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from indexer.answers import AnswerScorer, AnswerWeights
from indexer.calibration import Calibration, from_strengths, unrelated_problems
from indexer.keyword import KeywordConfig, KeywordIndex
from indexer.store import StoredSentence, piece_sentence_index


def _scorer(weights: AnswerWeights = AnswerWeights(coverage=0.0, vocabulary=0.0)) -> AnswerScorer:
    pieces = np.eye(4, dtype=np.float32)[:3]
    sentences = np.array([[0, 1, 0, 0], [0.6, 0.8, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]], dtype=np.float16)
    stored = [
        StoredSentence(0, 0, 0, "a"),
        StoredSentence(0, 0, 1, "b"),
        StoredSentence(1, 1, 1, "c"),
        StoredSentence(2, 2, 2, "d"),
    ]
    keyword = KeywordIndex.build(["invoice matching rules", "bank statement import", "soc report"], KeywordConfig())
    return AnswerScorer(
        keyword=keyword,
        piece_vectors=pieces,
        sentence_vectors=sentences,
        piece_sentences=piece_sentence_index(stored, 3),
        weights=weights,
    )


def test_a_piece_is_judged_by_its_closest_sentence_and_names_it() -> None:
    similarity, sentence = _scorer().best_sentences(np.array([0, 1, 0, 0], dtype=np.float32), np.array([0, 1, 2]))
    assert np.allclose(similarity, [1.0, 0.8, 0.0], atol=1e-3)
    assert sentence.tolist() == [0, 1, 3]  # sentence 1 spans pieces 0 and 1


def test_brute_force_agrees_with_the_scorer() -> None:
    scorer = _scorer()
    vector = np.array([0.5, 0.5, 0.5, 0.5], dtype=np.float32)
    similarity, _ = scorer.best_sentences(vector, np.array([2, 0, 1]))
    expected = [
        max(
            float(scorer.sentence_vectors[r].astype(np.float32) @ vector)
            for r in scorer.indices[scorer.indptr[p] : scorer.indptr[p + 1]]
        )
        for p in (2, 0, 1)
    ]
    assert np.allclose(similarity, expected, atol=1e-3)


def test_words_the_library_never_uses_lower_the_strength() -> None:
    scorer = _scorer(AnswerWeights(coverage=0.0, vocabulary=1.0))
    vector = np.array([1, 0, 0, 0], dtype=np.float32)
    known = scorer.strengths("invoice matching", vector, np.array([0]))[0]
    unknown = scorer.strengths("payroll withholding", vector, np.array([0]))[0]
    assert known - unknown > 0.99
    assert (
        scorer.vocabulary_coverage("invoice payroll", np.array([False, True, True])) == 0.0
    )  # invoice only in a piece not allowed


def test_the_scale_is_robust_to_the_few_problems_a_library_answers() -> None:
    base = from_strengths(np.array([0.5, 0.52, 0.48, 0.51, 0.49, 0.5, 0.5]), weights=AnswerWeights())
    outliers = from_strengths(np.array([0.5, 0.52, 0.48, 0.51, 0.49, 1.4, 1.5]), weights=AnswerWeights())
    assert abs(base.median - outliers.median) <= 0.011
    assert outliers.answers == outliers.median + outliers.gap_z * outliers.spread
    assert outliers.keeps <= outliers.answers


def test_the_unrelated_problems_ship_with_the_package() -> None:
    problems = unrelated_problems()
    assert len(problems) >= 100 and len(set(problems)) == len(problems)


def test_a_build_keeps_its_calibration(corpus_index: Path) -> None:
    manifest = json.loads((corpus_index / "current" / "manifest.json").read_text(encoding="utf-8"))
    calibration = Calibration.model_validate(manifest["calibration"])
    assert calibration.questions == len(unrelated_problems())
    assert 0 < calibration.spread < calibration.median < calibration.answers
