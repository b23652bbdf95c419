"""Candidates: the items that answer at least one stated problem, with how well they fit.

Per problem, hybrid search ranks the allowed items (the retriever); each item's best passage is
then judged as an *answer* (indexer/answers.py): a problem whose best answer stays below the
library's calibrated threshold is a gap, and an item below the library's floor answers nothing.
Fit to the buyer (stage, roles, industry) multiplies relevance and never filters: a stage makes
matching items rank higher, it never hides the only relevant one. Hard filters (audience, expiry,
already sent, type) are applied before search, as a mask, so filtered items cannot even be scored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from indexer.answers import AnswerScorer
from indexer.calibration import Calibration
from indexer.store import IndexSnapshot, StoredDocument
from recommender.duplicates import Duplicates
from recommender.events.priors import Prior
from recommender.resolve import ResolvedRequest
from recommender.retriever import DocumentHit, Retriever

PER_PROBLEM = 30  # items retrieved per problem before curation
PASSAGES_JUDGED = 3  # an item's best passages (by hybrid score) judged as answers
# An item's value for a problem: fit x (relevance + STRENGTH x answer strength), where relevance is
# its best passage's hybrid score plus SECOND_PASSAGE x its second best's. Hybrid scores rank within
# one problem; answer strength is absolute. Both chosen by python -m benchmarks.tune_curation.
SECOND_PASSAGE = 1.0
STRENGTH = 0.5

STAGE_WEIGHT, ROLE_WEIGHT, INDUSTRY_WEIGHT = 0.30, 0.20, 0.15
StageFit = Literal["named", "related", "untagged", "other", "none"]


@dataclass(frozen=True)
class Match:
    """How one item answers one problem."""

    problem: int
    score: float  # relevance from hybrid search, comparable within the problem
    strength: float  # how strongly the item's best passage answers the problem
    piece: int  # the passage that answers it best
    sentence: int  # that passage's sentence closest to the problem (-1: none)


@dataclass(frozen=True)
class Fit:
    stage: StageFit
    roles: tuple[str, ...]  # requested roles the item speaks to
    industry: bool  # the item names the requested industry
    multiplier: float
    engagement: Prior | None = None  # the engagement prior already in `multiplier` (recommender/engagement.py)


@dataclass(frozen=True)
class Candidate:
    doc: int
    matches: tuple[Match, ...]  # problems it answers, most relevant first
    fit: Fit

    def relevance(self, problem: int) -> float:
        return next((m.score for m in self.matches if m.problem == problem), 0.0)

    @property
    def best(self) -> Match:
        return self.matches[0]

    def value(self, match: Match) -> float:
        return self.fit.multiplier * (match.score + STRENGTH * match.strength)


@dataclass(frozen=True)
class ProblemResult:
    """What the library holds for one problem: its best answer, and whether that answers it."""

    problem: int
    closest: Match | None
    closest_doc: int | None
    answered: bool


def allowed_documents(
    snapshot: IndexSnapshot, request: ResolvedRequest, today: dt.date, *, duplicates: Duplicates | None = None
) -> np.ndarray:
    """The hard filters, as a boolean mask over documents; a near-duplicate of an item already sent counts as sent.

    Array operations over the metadata columns (indexer/columns.py), so the cost does not grow with a loop over
    every document: who may see it (recommender/policy.py's rule), never expired (not even for a seller), not sent,
    and the type filters.
    """
    columns = snapshot.columns
    allowed = columns.visible(request.audience, today) & ~columns.expired(today)
    if request.include_types:
        allowed &= columns.of_types(request.include_types)
    if request.exclude_types:
        allowed &= ~columns.of_types(request.exclude_types)
    for sent in request.already_sent:
        doc = snapshot.document_index(sent)
        if doc is None:
            continue
        allowed[doc] = False
        if duplicates is not None:
            allowed[list(duplicates.of(doc))] = False
    return allowed


def find_candidates(
    retriever: Retriever,
    scorer: AnswerScorer,
    calibration: Calibration,
    request: ResolvedRequest,
    allowed_docs: np.ndarray,
    vectors: np.ndarray,
) -> tuple[list[Candidate], list[ProblemResult]]:
    """The items that answer the request's problems (whose embeddings are `vectors`), and each problem's best answer."""
    snapshot = retriever.snapshot
    allowed = allowed_docs[snapshot.piece_doc]
    by_doc: dict[int, list[Match]] = {}
    results: list[ProblemResult] = []
    for i, problem in enumerate(request.problems):
        hits = retriever.search_documents(problem, k=PER_PROBLEM, allowed=allowed, vector=vectors[i])
        matches = judge(scorer, problem, vectors[i], hits, problem_index=i, allowed=allowed)
        closest = max(matches, key=lambda m: (m[1].strength, -m[0]), default=None)
        answered = closest is not None and closest[1].strength >= calibration.answers
        results.append(ProblemResult(i, closest[1] if closest else None, closest[0] if closest else None, answered))
        for doc, match in matches:
            if answered and match.strength >= calibration.keeps:
                by_doc.setdefault(doc, []).append(match)
    candidates = [
        Candidate(doc, tuple(sorted(ms, key=lambda m: (-m.score, m.problem))), fit(snapshot.documents[doc], request))
        for doc, ms in by_doc.items()
    ]
    candidates.sort(key=lambda c: c.doc)
    return candidates, results


def judge(
    scorer: AnswerScorer,
    problem: str,
    vector: np.ndarray,
    hits: Sequence[DocumentHit],
    *,
    problem_index: int,
    allowed: np.ndarray | None,
) -> list[tuple[int, Match]]:
    """Each hit as an answer to the problem: its relevance, its strongest passage and that passage's best sentence."""
    judged = [hit.pieces[:PASSAGES_JUDGED] for hit in hits]
    rows = np.array([p.row for pieces in judged for p in pieces], dtype=np.int64)
    if rows.size == 0:
        return []
    strength, sentence = scorer.answers(problem, vector, rows, allowed=allowed)
    counts = np.array([len(pieces) for pieces in judged])
    starts = np.cumsum(counts) - counts
    best_strength = np.maximum.reduceat(strength, starts)
    ties = np.where(strength == np.repeat(best_strength, counts), np.arange(len(rows)), len(rows))
    best = np.minimum.reduceat(ties, starts)  # each hit's strongest passage (the first of equals)
    return [
        (
            hit.doc,
            Match(
                problem_index,
                hit.score + SECOND_PASSAGE * (hit.pieces[1].score if len(hit.pieces) > 1 else 0.0),
                float(best_strength[i]),
                int(rows[best[i]]),
                int(sentence[best[i]]),
            ),
        )
        for i, hit in enumerate(hits)
    ]


def fit(document: StoredDocument, request: ResolvedRequest) -> Fit:
    meta = document.meta
    stage = _stage_fit(meta.stages, request)
    roles = tuple(r for r in request.roles if r in meta.roles)
    industry = request.industry is not None and request.industry in meta.industries
    stage_value = {"named": 1.0, "related": 0.5, "untagged": 0.25, "other": 0.0, "none": 0.0}[stage]
    role_value = len(roles) / len(request.roles) if request.roles else 0.0
    industry_value = 1.0 if industry else (0.3 if request.industry and not meta.industries else 0.0)
    multiplier = 1 + STAGE_WEIGHT * stage_value + ROLE_WEIGHT * role_value + INDUSTRY_WEIGHT * industry_value
    return Fit(stage=stage, roles=roles, industry=industry, multiplier=multiplier)


def _stage_fit(stages: Sequence[str], request: ResolvedRequest) -> StageFit:
    if request.stage is None:
        return "none"
    if request.stage in stages:
        return "named"
    if any(s in request.related_stages for s in stages):
        return "related"
    return "untagged" if not stages else "other"
