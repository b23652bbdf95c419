"""Measure a library's answers against labelled buyer scenarios - and against plain search.

For every scenario the curated answer (`Recommender.recommend`) is compared with plain hybrid
search over the same index and the same hard filters (audience, expiry, already sent): each
problem's documents by fused score, interleaved across problems. Plain search is cut at the
curated set's length and at 5, so a reader sees what curation adds at equal length and against
the usual top 5.

Reported, per scenario and overall: nDCG@5 (ranx), the share of answerable scenarios with a
send-first item in the set, false gaps (answerable problems reported as gaps), missed gaps
(unanswerable problems not reported), mean items; and what must never happen: an internal,
expired or already-sent item shown to a buyer, two near-duplicates in one set.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from recommender.candidates import allowed_documents
from recommender.models import Recommendation
from recommender.resolve import resolve
from recommender.scenarios import SEND_FIRST, Scenario
from recommender.service import Recommender, parse_request

K = 5
_Ranking = Callable[["ScenarioResult"], Sequence[str]]


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    answer: Recommendation
    plain: tuple[str, ...]  # plain hybrid search, best first, K documents at most

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.answer.items)

    @property
    def gaps(self) -> frozenset[str]:
        return frozenset(g.problem for g in self.answer.gaps)

    def false_gaps(self) -> list[str]:
        return [p for p in self.scenario.answerable() if p in self.gaps]

    def missed_gaps(self) -> list[str]:
        return [p for p in self.scenario.unanswerable() if p not in self.gaps]


class SystemScores(BaseModel):
    """One way of answering (the curated set, or plain search at some length), over all scenarios."""

    ndcg_at_5: float
    send_first_share: float  # answerable scenarios with a send-first item in the set
    mean_items: float


class GapScores(BaseModel):
    answerable_problems: int
    false_gaps: int
    false_gap_rate: float
    unanswerable_problems: int
    missed_gaps: int
    missed_gap_rate: float
    gap_scenarios: int
    gap_scenarios_missed: int  # gap scenarios whose problems were not all reported


class ScenarioLine(BaseModel):
    id: str
    items: list[str]
    plain: list[str]
    ndcg_at_5: float | None
    plain_same_length_ndcg_at_5: float | None
    plain_top5_ndcg_at_5: float | None
    send_first: bool | None
    gaps: list[str]
    false_gaps: list[str]
    missed_gaps: list[str]


class ScenarioReport(BaseModel):
    scenarios: int
    judged: int
    audience: str
    curated: SystemScores
    plain_same_length: SystemScores
    plain_top5: SystemScores
    gaps: GapScores
    coverage: float  # answerable problems that some item in the set addresses
    violations: list[str]
    duplicates: list[str]
    per_scenario: list[ScenarioLine]

    @property
    def false_gaps(self) -> list[str]:
        return [f"{s.id}: {p}" for s in self.per_scenario for p in s.false_gaps]

    @property
    def missed_gaps(self) -> list[str]:
        return [f"{s.id}: {p}" for s in self.per_scenario for p in s.missed_gaps]


def run_scenarios(
    recommender: Recommender,
    scenarios: Sequence[Scenario],
    *,
    audience: str = "buyer",
    max_items: int = K,
    today: dt.date | None = None,
) -> list[ScenarioResult]:
    today = today or dt.date.today()
    return [_run(recommender, s, audience, max_items, today) for s in scenarios]


def _run(recommender: Recommender, scenario: Scenario, audience: str, max_items: int, today: dt.date) -> ScenarioResult:
    request = parse_request(scenario.request(max_items=max_items, audience=audience))
    answer = recommender.recommend(request)
    return ScenarioResult(scenario, answer, plain_search(recommender, scenario, audience=audience, today=today))


def plain_search(
    recommender: Recommender, scenario: Scenario, *, audience: str, today: dt.date, k: int = K
) -> tuple[str, ...]:
    """Hybrid search per problem under the same hard filters, interleaved: the baseline curation must beat."""
    resolved = resolve(
        parse_request(scenario.request(max_items=k, audience=audience)), recommender.vocabulary, known_types=frozenset()
    )
    allowed = allowed_documents(recommender.snapshot, resolved, today, duplicates=recommender.duplicates)[
        recommender.snapshot.piece_doc
    ]
    rankings = [recommender.retriever.search_documents(p, k=k, allowed=allowed) for p in resolved.problems]
    docs = recommender.snapshot.documents
    ordered = [
        docs[hit.doc].meta.id
        for rank in range(k)
        for ranking in rankings
        if rank < len(ranking)
        for hit in (ranking[rank],)
    ]
    return tuple(dict.fromkeys(ordered))[:k]


def report(
    recommender: Recommender, results: Sequence[ScenarioResult], *, audience: str, today: dt.date | None = None
) -> ScenarioReport:
    today = today or dt.date.today()
    judged = [r for r in results if any(g > 0 for g in r.scenario.relevant.values())]
    curated = _ndcg(judged, lambda r: r.items)
    same = _ndcg(judged, lambda r: r.plain[: len(r.items)])
    top5 = _ndcg(judged, lambda r: r.plain)
    lines = [_line(r, curated, same, top5) for r in results]
    return ScenarioReport(
        scenarios=len(results),
        judged=len(judged),
        audience=audience,
        curated=_system(results, curated, lambda r: r.items),
        plain_same_length=_system(results, same, lambda r: r.plain[: len(r.items)]),
        plain_top5=_system(results, top5, lambda r: r.plain),
        gaps=_gap_scores(results),
        coverage=_coverage(results),
        violations=[v for r in results for v in _violations(recommender, r, audience, today)],
        duplicates=[d for r in results for d in _duplicates(recommender, r)],
        per_scenario=lines,
    )


def _ndcg(results: Sequence[ScenarioResult], ranking: _Ranking) -> dict[str, float]:
    """nDCG@5 per judged scenario, computed by ranx (linear gain); an empty set scores 0."""
    if not results:
        return {}
    from ranx import Qrels, Run, evaluate  # imported here: it compiles with numba on first use

    qrels = Qrels({r.scenario.id: {d: g for d, g in r.scenario.relevant.items() if g > 0} for r in results})
    run = Run(
        {r.scenario.id: {d: float(K + 1 - i) for i, d in enumerate(ranking(r))} or {"__none__": 0.0} for r in results}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety chatter
        evaluate(qrels, run, "ndcg@5", make_comparable=True)
    return {q: float(v) for q, v in run.scores["ndcg@5"].items()}


def _system(results: Sequence[ScenarioResult], ndcg: dict[str, float], ranking: _Ranking) -> SystemScores:
    answerable = [r for r in results if r.scenario.answerable()]
    hits = [any(r.scenario.relevant.get(d, 0) >= SEND_FIRST for d in ranking(r)) for r in answerable]
    return SystemScores(
        ndcg_at_5=round(sum(ndcg.values()) / len(ndcg), 4) if ndcg else 0.0,
        send_first_share=round(sum(hits) / len(hits), 4) if hits else 0.0,
        mean_items=round(sum(len(ranking(r)) for r in results) / len(results), 2) if results else 0.0,
    )


def _gap_scores(results: Sequence[ScenarioResult]) -> GapScores:
    answerable = sum(len(r.scenario.answerable()) for r in results)
    unanswerable = sum(len(r.scenario.unanswerable()) for r in results)
    false = sum(len(r.false_gaps()) for r in results)
    missed = sum(len(r.missed_gaps()) for r in results)
    gap_scenarios = [r for r in results if r.scenario.gap]
    return GapScores(
        answerable_problems=answerable,
        false_gaps=false,
        false_gap_rate=round(false / answerable, 4) if answerable else 0.0,
        unanswerable_problems=unanswerable,
        missed_gaps=missed,
        missed_gap_rate=round(missed / unanswerable, 4) if unanswerable else 0.0,
        gap_scenarios=len(gap_scenarios),
        gap_scenarios_missed=sum(1 for r in gap_scenarios if r.missed_gaps()),
    )


def _coverage(results: Sequence[ScenarioResult]) -> float:
    coverable = [(r, p) for r in results for p in r.scenario.answerable()]
    addressed = sum(1 for r, p in coverable if any(p in item.problems for item in r.answer.items))
    return round(addressed / len(coverable), 4) if coverable else 1.0


def _line(
    result: ScenarioResult, curated: dict[str, float], same: dict[str, float], top5: dict[str, float]
) -> ScenarioLine:
    sid = result.scenario.id
    answerable = bool(result.scenario.answerable())
    return ScenarioLine(
        id=sid,
        items=list(result.items),
        plain=list(result.plain),
        ndcg_at_5=_round(curated.get(sid)),
        plain_same_length_ndcg_at_5=_round(same.get(sid)),
        plain_top5_ndcg_at_5=_round(top5.get(sid)),
        send_first=any(result.scenario.relevant.get(d, 0) >= SEND_FIRST for d in result.items) if answerable else None,
        gaps=sorted(result.gaps),
        false_gaps=result.false_gaps(),
        missed_gaps=result.missed_gaps(),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _violations(recommender: Recommender, result: ScenarioResult, audience: str, today: dt.date) -> list[str]:
    out = []
    for item in result.answer.items:
        doc = recommender.snapshot.document_index(item.id)
        meta = recommender.snapshot.documents[doc].meta if doc is not None else None
        if meta is None:
            out.append(f"{result.scenario.id}: {item.id} is not in the index")
            continue
        if audience == "buyer" and meta.audience != "buyer":
            out.append(f"{result.scenario.id}: {item.id} is not buyer-facing")
        if meta.is_expired(today):
            out.append(f"{result.scenario.id}: {item.id} expired on {meta.expires}")
        if item.id in result.scenario.already_sent:
            out.append(f"{result.scenario.id}: {item.id} was already sent")
    return out


def _duplicates(recommender: Recommender, result: ScenarioResult) -> list[str]:
    rows = [recommender.snapshot.document_index(i) for i in result.items]
    found = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a is not None and b is not None and recommender.duplicates.between(a, b) is not None:
                found.append(f"{result.scenario.id}: {result.items[rows.index(a)]} + {result.items[rows.index(b)]}")
    return found
