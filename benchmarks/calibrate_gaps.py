"""Calibrate the gap threshold on the labelled scenarios: `python -m benchmarks.calibrate_gaps`.

For every problem in tests/data/scenarios.yaml, the strongest answer among the items a buyer may
receive is computed for several keyword weights (strength = cosine + weight x IDF-weighted term
coverage). For each weight it prints how well strength separates covered from uncovered problems
(AUC), and the threshold that flags every uncovered problem as a gap with the fewest covered
problems flagged too. The chosen values live in recommender/candidates.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from indexer.settings import Settings
from recommender.candidates import allowed_documents, answer_strengths, PER_PROBLEM
from recommender.resolve import resolve
from recommender.scenarios import load_scenarios
from recommender.service import Recommender, parse_request

WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5)
SCENARIOS = Path("tests/data/scenarios.yaml")


def strengths(recommender: Recommender, weight: float, today: dt.date) -> list[tuple[bool, float]]:
    """(uncovered?, best strength) for every scenario problem."""
    out = []
    for scenario in load_scenarios(SCENARIOS):
        request = resolve(parse_request(scenario.request(5)), recommender.vocabulary, known_types=frozenset(d.meta.type for d in recommender.snapshot.documents))
        allowed = allowed_documents(recommender.snapshot, request, today)[recommender.snapshot.piece_doc]
        for problem in scenario.problems:
            hits = recommender.retriever.search_documents(problem, k=PER_PROBLEM, allowed=allowed)
            best = max(answer_strengths(recommender.retriever, problem, hits, keyword_weight=weight), default=0.0)
            out.append((problem in scenario.uncovered, best))
    return out


def summarise(points: list[tuple[bool, float]]) -> dict[str, float]:
    covered = np.array([s for u, s in points if not u])
    uncovered = np.array([s for u, s in points if u])
    auc = float(np.mean([(c > u) + 0.5 * (c == u) for c in covered for u in uncovered]))
    ceiling = float(uncovered.max())
    above = covered[covered > ceiling]
    threshold = (ceiling + float(above.min())) / 2 if above.size else ceiling + 1e-3
    return {"auc": auc, "threshold": threshold, "false_gaps": int((covered < threshold).sum()), "covered": int(covered.size), "uncovered": int(uncovered.size)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=Path(".recommender/index"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/gap_calibration.json"))
    args = parser.parse_args()
    today = dt.date(2026, 11, 27)
    recommender = Recommender.open(Settings(index=args.index), today=lambda: today)
    rows = {w: summarise(strengths(recommender, w, today)) for w in WEIGHTS}
    table = Table("keyword weight", "AUC", "threshold (all uncovered flagged)", "covered problems flagged", title="Gap calibration on the scenario set")
    for weight, row in rows.items():
        table.add_row(f"{weight:.1f}", f"{row['auc']:.3f}", f"{row['threshold']:.3f}", f"{row['false_gaps']} of {row['covered']}")
    Console().print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({str(k): v for k, v in rows.items()}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
