"""Candidates: the items that match at least one stated problem, with how well they fit.

Relevance comes from the retriever, per problem. Fit to the buyer (stage, roles, industry) is a
multiplier on relevance, never a filter: a stage makes matching items rank higher, it never hides
the only relevant one. Hard filters (audience, expiry, already sent, type) are applied before
search, as a mask, so filtered items cannot even be scored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from indexer.store import IndexSnapshot, StoredDocument
from recommender.duplicates import Duplicates
from recommender.policy import may_see
from recommender.resolve import ResolvedRequest
from recommender.retriever import DocumentHit, Retriever

# How strongly a passage answers a problem: its cosine similarity to the problem plus
# KEYWORD_WEIGHT times the IDF-weighted share of the problem's terms it contains. Similarity alone
# confuses a near-miss topic ("tax provision ... spreadsheet work") with an answer in other words;
# the rare terms of a problem the library never mentions (payroll, emissions) tell them apart.
# An item answers a problem at ANSWERS or above; below it, for every allowed item, the problem is a
# gap. Both were calibrated on the scenario set: `python -m benchmarks.calibrate_gaps`.
KEYWORD_WEIGHT = 0.6
ANSWERS = 0.624
PER_PROBLEM = 30  # items retrieved per problem before curation

STAGE_WEIGHT, ROLE_WEIGHT, INDUSTRY_WEIGHT = 0.30, 0.20, 0.15
StageFit = Literal["named", "related", "untagged", "other", "none"]


@dataclass(frozen=True)
class Match:
    """How one item answers one problem."""

    problem: int
    score: float  # fused retrieval score, comparable within the problem
    strength: float  # how strongly the item's best passage answers the problem (see ANSWERS)
    piece: int  # the passage that answers it best


@dataclass(frozen=True)
class Fit:
    stage: StageFit
    roles: tuple[str, ...]  # requested roles the item speaks to
    industry: bool  # the item names the requested industry
    multiplier: float


@dataclass(frozen=True)
class Candidate:
    doc: int
    matches: tuple[Match, ...]  # problems it answers (strength >= ANSWERS), best first
    fit: Fit

    def relevance(self, problem: int) -> float:
        return next((m.score for m in self.matches if m.problem == problem), 0.0)

    @property
    def best(self) -> Match:
        return self.matches[0]


@dataclass(frozen=True)
class ProblemResult:
    """Every allowed item's best match for one problem, for gap detection."""

    problem: int
    closest: Match | None
    closest_doc: int | None


def allowed_documents(snapshot: IndexSnapshot, request: ResolvedRequest, today: dt.date, *, duplicates: Duplicates | None = None) -> np.ndarray:
    """The hard filters, as a boolean mask over documents; a near-duplicate of an item already sent counts as sent."""
    allowed = np.array([_allowed(d, request, today) for d in snapshot.documents], dtype=bool)
    if duplicates is not None:
        for doc, document in enumerate(snapshot.documents):
            if document.meta.id in request.already_sent:
                allowed[list(duplicates.of(doc))] = False
    return allowed


def _allowed(document: StoredDocument, request: ResolvedRequest, today: dt.date) -> bool:
    meta = document.meta
    if not may_see(meta, request.audience, today):
        return False
    if meta.is_expired(today) or meta.id in request.already_sent:  # never recommended, even to a seller
        return False
    if request.include_types and meta.type not in request.include_types:
        return False
    return meta.type not in request.exclude_types


def find_candidates(retriever: Retriever, request: ResolvedRequest, allowed_docs: np.ndarray) -> tuple[list[Candidate], list[ProblemResult]]:
    snapshot = retriever.snapshot
    allowed = allowed_docs[snapshot.piece_doc]
    vectors = retriever.embed(request.problems)
    by_doc: dict[int, list[Match]] = {}
    results: list[ProblemResult] = []
    for i, problem in enumerate(request.problems):
        hits = retriever.search_documents(problem, k=PER_PROBLEM, allowed=allowed, vector=vectors[i])
        matches = [(hit.doc, Match(i, hit.score, strength, hit.best.row)) for hit, strength in zip(hits, answer_strengths(retriever, problem, hits))]
        closest = max(matches, key=lambda m: (m[1].strength, -m[0]), default=None)
        results.append(ProblemResult(i, closest[1] if closest else None, closest[0] if closest else None))
        for doc, match in matches:
            if match.strength >= ANSWERS:
                by_doc.setdefault(doc, []).append(match)
    candidates = [Candidate(doc, tuple(sorted(ms, key=lambda m: -m.score)), fit(snapshot.documents[doc], request)) for doc, ms in by_doc.items()]
    candidates.sort(key=lambda c: c.doc)
    return candidates, results


def answer_strengths(retriever: Retriever, problem: str, hits: Sequence[DocumentHit], *, keyword_weight: float = KEYWORD_WEIGHT) -> list[float]:
    """Each document's best answer strength over its retrieved passages."""
    rows = np.array([p.row for hit in hits for p in hit.pieces], dtype=np.int64)
    dense = np.array([p.dense for hit in hits for p in hit.pieces])
    strength = dense + keyword_weight * retriever.snapshot.keyword.coverage(problem, rows)
    out, start = [], 0
    for hit in hits:
        out.append(float(strength[start : start + len(hit.pieces)].max()))
        start += len(hit.pieces)
    return out


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
