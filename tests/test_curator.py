"""The curator's selection logic on hand-made candidates over a tiny index (fake embedder).

Every candidate has already been judged an answer; the curator keeps answers until a limit binds,
drops only near-duplicates, and lets problems take turns."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.build import BuildOptions, build_index
from indexer.store import IndexSnapshot, load_index
from indexer.vocabulary import Vocabulary
from recommender.candidates import Candidate, Fit, Match
from recommender.curator import Limits, curate
from recommender.duplicates import Duplicates
from tests.fakes import BagOfWordsEmbedder

DOCS = {
    "new.md": (
        "---\nid: story-new\nupdated: 2026-05-01\n---\n# Harbor story\n\n"
        "Harbor Point cut its close from twelve to six days with automated reconciliations and checklists."
    ),
    "old.md": (
        "---\nid: story-old\nupdated: 2024-01-10\n---\n# Harbor story\n\n"
        "Harbor Point cut its close from twelve to six days with automated reconciliations and checklists."
    ),
    "long.md": "---\nid: long-paper\n---\n# Long paper\n\n"
    + " ".join(["Intercompany netting and eliminations explained in depth."] * 400),
    "short-a.md": "---\nid: short-a\n---\n# Security\n\nSOC 2 Type II report, encryption at rest and single sign-on.",
    "short-b.md": "---\nid: short-b\n---\n# Pricing\n\nEditions, entity counts and named users decide the price.",
    "short-c.md": (
        "---\nid: short-c\n---\n# Training\n\nAccountants learn the matching screens in two half-day sessions."
    ),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> IndexSnapshot:
    corpus = tmp_path_factory.mktemp("tiny-corpus")
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    root = tmp_path_factory.mktemp("tiny-index")
    embedder = BagOfWordsEmbedder()
    build_index([corpus], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())
    return load_index(root, model_id=embedder.model_id)


def _curate(snapshot: IndexSnapshot, candidates: list[Candidate], limits: Limits):  # type: ignore[no-untyped-def]
    return curate(
        candidates,
        snapshot=snapshot,
        duplicates=Duplicates(snapshot.duplicate_pairs),
        limits=limits,
    )


def _candidate(
    snapshot: IndexSnapshot,
    doc_id: str,
    scores: dict[int, float],
    *,
    multiplier: float = 1.0,
    roles: tuple[str, ...] = (),
) -> Candidate:
    doc = snapshot.document_index(doc_id)
    assert doc is not None
    piece = int(np.flatnonzero(snapshot.piece_doc == doc)[0])
    matches = tuple(sorted((Match(p, s, 1.0, piece, -1) for p, s in scores.items()), key=lambda m: -m.score))
    return Candidate(doc, matches, Fit("none", roles, False, multiplier))


def _ids(snapshot: IndexSnapshot, docs: list[int]) -> list[str]:
    return [snapshot.documents[d].meta.id for d in docs]


def test_near_duplicates_are_never_both_chosen_and_the_newer_is_kept(tiny: IndexSnapshot) -> None:
    old = _candidate(tiny, "story-old", {0: 1.0})  # scores higher, but is older
    new = _candidate(tiny, "story-new", {0: 0.9})
    result = _curate(tiny, [old, new], Limits(5, None))
    assert _ids(tiny, [p.candidate.doc for p in result.picks]) == ["story-new"]
    assert [(tiny.documents[s.doc].meta.id, s.reason) for s in result.trimmed] == [("story-old", "near-duplicate")]
    assert "newer" in result.trimmed[0].detail


def test_reading_budget_leaves_out_what_does_not_fit_and_says_so(tiny: IndexSnapshot) -> None:
    long = _candidate(tiny, "long-paper", {0: 1.0})
    short = _candidate(tiny, "short-a", {1: 0.9})
    result = _curate(tiny, [long, short], Limits(5, 4))
    assert sum(p.minutes for p in result.picks) <= 4
    assert _ids(tiny, [p.candidate.doc for p in result.picks]) == ["short-a"]
    assert [(tiny.documents[s.doc].meta.id, s.reason) for s in result.trimmed] == [("long-paper", "over-budget")]


def test_max_items_is_respected_and_the_next_best_is_listed(tiny: IndexSnapshot) -> None:
    candidates = [_candidate(tiny, doc, {0: 1.0 - i / 10}) for i, doc in enumerate(["short-a", "short-b", "short-c"])]
    result = _curate(tiny, candidates, Limits(2, None))
    assert _ids(tiny, [p.candidate.doc for p in result.picks]) == ["short-a", "short-b"]
    assert [(tiny.documents[s.doc].meta.id, s.reason) for s in result.trimmed] == [("short-c", "max-items")]


def test_every_answer_is_kept_until_a_limit_binds(tiny: IndexSnapshot) -> None:
    """A set is short because nothing more answers, never because a counter stopped early."""
    candidates = [
        _candidate(tiny, doc, {0: score}) for doc, score in (("short-a", 1.0), ("short-b", 0.2), ("short-c", 0.1))
    ]
    result = _curate(tiny, candidates, Limits(5, None))
    assert _ids(tiny, [p.candidate.doc for p in result.picks]) == ["short-a", "short-b", "short-c"]
    assert result.trimmed == ()


def test_problems_take_turns(tiny: IndexSnapshot) -> None:
    first = _candidate(tiny, "short-a", {0: 1.0})
    same_problem = _candidate(tiny, "short-b", {0: 0.95})
    other_problem = _candidate(tiny, "short-c", {1: 0.7})
    result = _curate(tiny, [first, same_problem, other_problem], Limits(2, None))
    assert _ids(tiny, [p.candidate.doc for p in result.picks]) == ["short-a", "short-c"]


def test_fit_orders_the_answers_to_one_problem(tiny: IndexSnapshot) -> None:
    plain = _candidate(tiny, "short-a", {0: 1.0})
    fitting = _candidate(tiny, "short-b", {0: 0.9}, multiplier=1.3, roles=("cfo",))
    result = _curate(tiny, [plain, fitting], Limits(5, None))
    assert _ids(tiny, [p.candidate.doc for p in result.picks]) == ["short-b", "short-a"]


def test_selection_is_deterministic(tiny: IndexSnapshot) -> None:
    candidates = [_candidate(tiny, doc, {0: 0.8, 1: 0.8}) for doc in ("short-c", "short-b", "short-a")]
    runs = {tuple(p.candidate.doc for p in _curate(tiny, candidates, Limits(3, None)).picks) for _ in range(3)}
    assert len(runs) == 1
    assert _ids(tiny, list(runs.pop()))[0] == "short-a"  # equal scores: the earlier item in the index wins
