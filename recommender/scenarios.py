"""Measure recommendations against a labelled set of buyer scenarios.

A scenario is a request (problems, stage, roles, industry, already sent) with graded relevant
items and the problems nothing in the library covers. The report counts what must never happen
(policy violations, near-duplicates in one set, uncovered problems not reported as gaps) and
measures quality: nDCG@5 (ranx) and the share of covered problems the set addresses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml
from pydantic import BaseModel, Field
from ranx import Qrels, Run, evaluate

from recommender.models import Recommendation
from recommender.service import Recommender, parse_request


class Scenario(BaseModel):
    id: str
    description: str = ""
    problems: list[str]
    stage: str | None = None
    roles: list[str] = Field(default_factory=list)
    industry: str | None = None
    already_sent: list[str] = Field(default_factory=list)
    relevant: dict[str, int] = Field(default_factory=dict)
    uncovered: list[str] = Field(default_factory=list)

    def request(self, max_items: int) -> dict[str, Any]:
        return {"problems": self.problems, "stage": self.stage, "roles": self.roles, "industry": self.industry, "already_sent": self.already_sent, "max_items": max_items}


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    answer: Recommendation
    violations: tuple[str, ...]  # internal, expired or already-sent items shown to a buyer
    duplicates: tuple[tuple[str, str], ...]  # near-duplicate pairs inside one set
    missed_gaps: tuple[str, ...]  # uncovered problems not reported as gaps
    false_gaps: tuple[str, ...]  # covered problems reported as gaps
    covered: int  # covered problems the set addresses
    coverable: int  # covered problems in the scenario


@dataclass(frozen=True)
class ScenarioReport:
    results: tuple[ScenarioResult, ...]
    ndcg_at_5: float
    coverage: float

    @property
    def violations(self) -> list[str]:
        return [f"{r.scenario.id}: {v}" for r in self.results for v in r.violations]

    @property
    def duplicates(self) -> list[str]:
        return [f"{r.scenario.id}: {a} + {b}" for r in self.results for a, b in r.duplicates]

    @property
    def missed_gaps(self) -> list[str]:
        return [f"{r.scenario.id}: {p}" for r in self.results for p in r.missed_gaps]

    @property
    def false_gaps(self) -> list[str]:
        return [f"{r.scenario.id}: {p}" for r in self.results for p in r.false_gaps]


def load_scenarios(path: Path) -> list[Scenario]:
    return [Scenario.model_validate(item) for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def evaluate_scenarios(recommender: Recommender, scenarios: Sequence[Scenario], *, today: dt.date, max_items: int = 5) -> ScenarioReport:
    results = tuple(_run(recommender, s, today, max_items) for s in scenarios)
    judged = [r for r in results if r.scenario.relevant]
    qrels = Qrels({r.scenario.id: dict(r.scenario.relevant) for r in judged})
    run = Run({r.scenario.id: _run_scores(r.answer) for r in judged})
    ndcg = float(evaluate(qrels, run, "ndcg@5", make_comparable=True)) if judged else 0.0
    coverable = sum(r.coverable for r in results)
    return ScenarioReport(results, ndcg, sum(r.covered for r in results) / coverable if coverable else 1.0)


def _run_scores(answer: Recommendation) -> dict[str, float]:
    # the set's order is its ranking; ranx needs scores, so the rank becomes a descending score
    return {item.id: float(len(answer.items) - i) for i, item in enumerate(answer.items)} or {"__none__": 0.0}


def _run(recommender: Recommender, scenario: Scenario, today: dt.date, max_items: int) -> ScenarioResult:
    answer = recommender.recommend(parse_request(scenario.request(max_items)))
    gaps = {g.problem for g in answer.gaps}
    addressed = {p for item in answer.items for p in item.problems}
    coverable = [p for p in scenario.problems if p not in scenario.uncovered]
    return ScenarioResult(
        scenario=scenario, answer=answer,
        violations=tuple(_violations(recommender, answer, scenario, today)),
        duplicates=tuple(_duplicates(recommender, answer)),
        missed_gaps=tuple(p for p in scenario.uncovered if p not in gaps),
        false_gaps=tuple(p for p in coverable if p in gaps),
        covered=sum(1 for p in coverable if p in addressed), coverable=len(coverable),
    )


def _violations(recommender: Recommender, answer: Recommendation, scenario: Scenario, today: dt.date) -> list[str]:
    out = []
    for item in answer.items:
        doc = recommender.snapshot.document_index(item.id)
        meta = recommender.snapshot.documents[doc].meta if doc is not None else None
        if meta is None or meta.audience != "buyer":
            out.append(f"{item.id} is not buyer-facing")
        elif meta.is_expired(today):
            out.append(f"{item.id} expired on {meta.expires}")
        if item.id in scenario.already_sent:
            out.append(f"{item.id} was already sent")
    return out


def _duplicates(recommender: Recommender, answer: Recommendation) -> list[tuple[str, str]]:
    rows = [recommender.snapshot.document_index(item.id) for item in answer.items]
    pairs = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a is not None and b is not None and recommender.duplicates.between(a, b) is not None:
                pairs.append((recommender.snapshot.documents[a].meta.id, recommender.snapshot.documents[b].meta.id))
    return pairs
