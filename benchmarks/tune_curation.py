"""Choose how the curator orders a problem's answers: `python -m benchmarks.tune_curation`.

An answer's value is fit x (relevance + STRENGTH x answer strength); relevance is the best
passage's hybrid score plus SECOND_PASSAGE x the second best's (an item that answers in two places
is likelier the one to read), and answer strength is how well its best sentence answers
(indexer/answers.py). Both constants are chosen on the labelled scenarios of the two libraries of
`benchmarks.calibrate_gaps` by curated nDCG@5: chosen on one library and measured on the other
(both ways), and on both together for the shipped values (recommender/candidates.py).
Results: benchmarks/results/curation_tuning.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

import recommender.candidates as candidates
from benchmarks.calibrate_gaps import LIBRARIES, ROOT, TODAY, default_encoder, index_of
from indexer.settings import Settings
from recommender.scenario_eval import report, run_scenarios
from recommender.scenarios import load_scenarios, resolve_ids
from recommender.service import Recommender

GRID = tuple((passage, strength) for passage in (0.0, 0.5, 1.0) for strength in (0.0, 0.25, 0.5, 1.0, 2.0))
Setting = tuple[float, float]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "curation_tuning.json")
    args = parser.parse_args()
    embedder = default_encoder()
    scores: dict[str, dict[Setting, float]] = {}
    for library in LIBRARIES:
        recommender = Recommender.open(
            Settings(index=index_of(library, embedder)), embedder=embedder, today=lambda: TODAY
        )
        scenarios = resolve_ids(load_scenarios(library.scenarios), recommender.snapshot)
        scores[library.name] = {}
        for value in GRID:
            candidates.SECOND_PASSAGE, candidates.STRENGTH = value
            result = report(
                recommender,
                run_scenarios(recommender, scenarios, audience=library.audience, today=TODAY),
                audience=library.audience,
                today=TODAY,
            )
            scores[library.name][value] = result.curated.ndcg_at_5
    names = [lib.name for lib in LIBRARIES]
    across = [
        {
            "chosen_on": a,
            "measured_on": b,
            "chosen": _named(v := _best(scores[a])),
            "ndcg_at_5": scores[b][v],
            "shipped_on_measured": scores[b][_best({u: sum(scores[n][u] for n in names) for u in GRID})],
        }
        for a in names
        for b in names
        if a != b
    ]
    both = _best({v: sum(scores[n][v] for n in names) for v in GRID})
    result = {
        "grid": [{**_named(v), **{n: scores[n][v] for n in names}} for v in GRID],
        "across_libraries": across,
        "chosen_on_both": _named(both),
    }
    _print(result)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")


def _best(by_value: dict[Setting, float]) -> Setting:
    return min(by_value, key=lambda v: (-round(by_value[v], 4), v))  # ties: the smaller values


def _named(value: Setting) -> dict[str, float]:
    return {"second_passage": value[0], "strength": value[1]}


def _print(result: dict) -> None:
    names = [lib.name for lib in LIBRARIES]
    table = Table("second passage", "strength", *names, title="Curated nDCG@5")
    for row in result["grid"]:
        table.add_row(str(row["second_passage"]), str(row["strength"]), *(f"{row[n]:.4f}" for n in names))
    console = Console()
    console.print(table)
    for row in result["across_libraries"]:
        console.print(
            f"chosen on {row['chosen_on']} {row['chosen']}: {row['measured_on']} nDCG@5 {row['ndcg_at_5']:.4f}"
        )
    console.print(f"chosen on both: {result['chosen_on_both']}")


if __name__ == "__main__":
    main()
