"""Choose the answer-strength weights and the gap threshold out of fold: `python -m benchmarks.calibrate_gaps`.

A problem is a gap when its best allowed passage's answer strength (indexer/answers.py) stays
below `median + z x spread` of the library's own calibration (indexer/calibration.py: the library
asked problems from unrelated lines of business at index time). Three constants are chosen here:
the weights of term coverage and vocabulary coverage in the strength, and z (GAP_Z).

Two libraries with labelled buyer scenarios are used (each problem labelled answerable - its
scenario has a send-first page - or unanswerable):

- sample: `corpus/` with `tests/data/scenarios.yaml` (as a buyer sees it);
- sourcegraph: the Sourcegraph handbook in ../shared/evaldata with
  `tests/data/sourcegraph_scenarios.yaml` (as a seller sees it: no page is marked buyer-facing).

The rule chosen on a set of problems minimises FG / 0.05 + MG / 0.10 there - each rate as a multiple
of the tolerance the product sets for it (false gaps 5% of answerable problems, missed gaps 10% of
unanswerable ones), so a false gap weighs twice a missed one (ties: the smaller z). It is judged
only on problems it was not chosen on:

- across libraries: chosen on one library, measured on the other (both ways);
- k-fold within each library: 5 folds by scenario, 20 shuffles, test rates averaged.

The shipped constants are the rule chosen on both libraries together. Indexes are built (or
reused) under .recommender/calibration/. Results: benchmarks/results/gap_calibration.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from indexer.build import BuildOptions, build_index
from indexer.calibration import MAD_TO_SIGMA, unrelated_problems
from indexer.embed import Embedder
from indexer.encoders import indexing_encoder
from indexer.settings import Settings
from indexer.vocabulary import Vocabulary
from recommender.candidates import PASSAGES_JUDGED, PER_PROBLEM, allowed_documents
from recommender.resolve import resolve
from recommender.scenarios import load_scenarios, resolve_ids
from recommender.service import Recommender, parse_request

ROOT = Path(__file__).resolve().parent.parent
EVALDATA = ROOT.parent / "shared" / "evaldata"
COVERAGE_WEIGHTS = (0.0, 0.3, 0.6, 0.9)
VOCABULARY_WEIGHTS = (0.0, 0.15, 0.3, 0.45, 0.6)
Z_GRID = tuple(round(z, 2) for z in np.arange(0.0, 4.01, 0.1))
FALSE_GAP_TOLERANCE, MISSED_GAP_TOLERANCE = 0.05, 0.10
TODAY = dt.date(2026, 11, 27)  # the date the sample scenarios were labelled against


@dataclass(frozen=True)
class Library:
    name: str
    source: Path
    scenarios: Path
    audience: str


LIBRARIES = (
    Library("sample", ROOT / "corpus", ROOT / "tests" / "data" / "scenarios.yaml", "buyer"),
    Library(
        "sourcegraph",
        EVALDATA / "sales-realworld" / "sourcegraph-handbook" / "content" / "departments",
        ROOT / "tests" / "data" / "sourcegraph_scenarios.yaml",
        "seller",
    ),
)


@dataclass(frozen=True)
class Parts:
    """The pieces of a strength, before weighting: per passage similarity and term coverage, per problem
    vocabulary coverage."""

    similarity: np.ndarray
    coverage: np.ndarray
    vocabulary: float

    def best(self, coverage_weight: float, vocabulary_weight: float) -> float:
        if self.similarity.size == 0:
            return 0.0
        return float((self.similarity + coverage_weight * self.coverage).max() + vocabulary_weight * self.vocabulary)


@dataclass(frozen=True)
class Labelled:
    library: str
    scenario: str
    answerable: bool
    parts: Parts


def default_encoder() -> Embedder:
    """The encoder users index with (ONNX Runtime, fp32: the same vectors as the model on torch), exported once."""
    return indexing_encoder(Settings(), exports=ROOT / ".recommender" / "calibration" / "exports")


def index_of(library: Library, embedder: Embedder) -> Path:
    """The library indexed with the code as it is (a rebuild embeds only what its cache lacks)."""
    root = ROOT / ".recommender" / "calibration" / library.name
    build_index([library.source], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())
    return root


def labelled_parts(library: Library, recommender: Recommender) -> list[Labelled]:
    scenarios = resolve_ids(load_scenarios(library.scenarios), recommender.snapshot)
    out = []
    for scenario in scenarios:
        request = resolve(
            parse_request(scenario.request(max_items=5, audience=library.audience)),
            recommender.vocabulary,
            known_types=frozenset(),
        )
        allowed = allowed_documents(recommender.snapshot, request, TODAY, duplicates=recommender.duplicates)[
            recommender.snapshot.piece_doc
        ]
        vectors = recommender.retriever.embed(request.problems)
        for problem, vector in zip(request.problems, vectors):
            answerable, unanswerable = problem in scenario.answerable(), problem in scenario.unanswerable()
            if not (answerable or unanswerable):
                continue
            hits = recommender.retriever.search_documents(problem, k=PER_PROBLEM, allowed=allowed, vector=vector)
            rows = np.array(
                [p.row for hit in hits for p in hit.pieces[:PASSAGES_JUDGED]], dtype=np.int64
            )  # what the recommender judges
            out.append(
                Labelled(library.name, scenario.id, answerable, parts(recommender, problem, vector, rows, allowed))
            )
    return out


def parts(
    recommender: Recommender, problem: str, vector: np.ndarray, rows: np.ndarray, allowed: np.ndarray | None
) -> Parts:
    scorer = recommender.scorer
    similarity, _ = scorer.best_sentences(vector, rows)
    return Parts(
        similarity, recommender.snapshot.keyword.coverage(problem, rows), scorer.vocabulary_coverage(problem, allowed)
    )


def bank_parts(recommender: Recommender) -> list[Parts]:
    problems = unrelated_problems()
    rows = np.arange(len(recommender.snapshot.pieces), dtype=np.int64)
    vectors = recommender.retriever.embed(problems)
    return [parts(recommender, p, v, rows, None) for p, v in zip(problems, vectors)]


Weights = tuple[float, float]  # of term coverage and of vocabulary coverage


def z_scores(items: list[Labelled], banks: dict[str, list[Parts]], weights: Weights) -> np.ndarray:
    scale = {}
    for name, bank in banks.items():
        best = np.array([b.best(*weights) for b in bank])
        median = float(np.median(best))
        scale[name] = (median, max(MAD_TO_SIGMA * float(np.median(np.abs(best - median))), 1e-3))
    return np.array([(i.parts.best(*weights) - scale[i.library][0]) / scale[i.library][1] for i in items])


def rates(z: np.ndarray, answerable: np.ndarray, gap_z: float) -> tuple[float, float]:
    gap = z < gap_z
    false_gaps = float(gap[answerable].mean()) if answerable.any() else 0.0
    missed = float((~gap[~answerable]).mean()) if (~answerable).any() else 0.0
    return false_gaps, missed


def choose(items: list[Labelled], banks: dict[str, list[Parts]]) -> tuple[Weights, float]:
    """The weights and z that minimise FG / 0.05 + MG / 0.10 on `items` (ties: smaller z, then smaller weights)."""
    answerable = np.array([i.answerable for i in items])
    keys = []
    for weights in itertools.product(COVERAGE_WEIGHTS, VOCABULARY_WEIGHTS):
        z = z_scores(items, banks, weights)
        for gap_z in Z_GRID:
            false_gaps, missed = rates(z, answerable, gap_z)
            keys.append((false_gaps / FALSE_GAP_TOLERANCE + missed / MISSED_GAP_TOLERANCE, gap_z, weights))
    _, gap_z, weights = min(keys)
    return weights, gap_z


def judge(items: list[Labelled], banks: dict[str, list[Parts]], weights: Weights, gap_z: float) -> dict[str, float]:
    answerable = np.array([i.answerable for i in items])
    z = z_scores(items, banks, weights)
    false_gaps, missed = rates(z, answerable, gap_z)
    return {
        "false_gap_rate": round(false_gaps, 4),
        "missed_gap_rate": round(missed, 4),
        "answerable": int(answerable.sum()),
        "unanswerable": int((~answerable).sum()),
        "auc": round(_auc(z[answerable], z[~answerable]), 3),
    }


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """How often an answerable problem scores above an unanswerable one (ties count half)."""
    if not positive.size or not negative.size:
        return float("nan")
    return float(np.mean((positive[:, None] > negative[None, :]) + 0.5 * (positive[:, None] == negative[None, :])))


def cross_library(items: list[Labelled], banks: dict[str, list[Parts]]) -> list[dict]:
    out = []
    for fit_on, test_on in itertools.permutations([lib.name for lib in LIBRARIES], 2):
        weights, gap_z = choose([i for i in items if i.library == fit_on], banks)
        out.append(
            {
                "chosen_on": fit_on,
                "measured_on": test_on,
                **_named(weights),
                "gap_z": gap_z,
                **judge([i for i in items if i.library == test_on], banks, weights, gap_z),
            }
        )
    return out


def k_fold(
    items: list[Labelled], banks: dict[str, list[Parts]], library: str, *, folds: int = 5, repeats: int = 20
) -> dict[str, float]:
    mine = [i for i in items if i.library == library]
    scenarios = sorted({i.scenario for i in mine})
    false_gaps, missed = [], []
    for seed in range(repeats):
        order = np.random.default_rng(seed).permutation(len(scenarios))
        for fold in range(folds):
            held = {scenarios[j] for j in order[fold::folds]}
            weights, gap_z = choose([i for i in mine if i.scenario not in held], banks)
            test = [i for i in mine if i.scenario in held]
            result = judge(test, banks, weights, gap_z)
            if result["answerable"]:
                false_gaps.append(result["false_gap_rate"])
            if result["unanswerable"]:
                missed.append(result["missed_gap_rate"])
    return {
        "library": library,
        "folds": folds,
        "repeats": repeats,
        "false_gap_rate": round(float(np.mean(false_gaps)), 4),
        "missed_gap_rate": round(float(np.mean(missed)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gap_calibration.json")
    args = parser.parse_args()
    embedder = default_encoder()
    items: list[Labelled] = []
    banks: dict[str, list[Parts]] = {}
    for library in LIBRARIES:
        recommender = Recommender.open(
            Settings(index=index_of(library, embedder)), embedder=embedder, today=lambda: TODAY
        )
        items.extend(labelled_parts(library, recommender))
        banks[library.name] = bank_parts(recommender)
    weights, gap_z = choose(items, banks)
    result = {
        "chosen_on_both": {
            **_named(weights),
            "gap_z": gap_z,
            **{
                lib.name: judge([i for i in items if i.library == lib.name], banks, weights, gap_z) for lib in LIBRARIES
            },
        },
        "across_libraries": cross_library(items, banks),
        "k_fold": [k_fold(items, banks, lib.name) for lib in LIBRARIES],
        "grid": {
            "coverage_weights": COVERAGE_WEIGHTS,
            "vocabulary_weights": VOCABULARY_WEIGHTS,
            "z": [Z_GRID[0], Z_GRID[-1], 0.1],
        },
        "scenario_files": {lib.name: str(lib.scenarios.relative_to(ROOT)) for lib in LIBRARIES},
    }
    _print(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")


def _named(weights: Weights) -> dict[str, float]:
    return {"coverage_weight": weights[0], "vocabulary_weight": weights[1]}


def _print(result: dict) -> None:
    console = Console()
    both = result["chosen_on_both"]
    console.print(
        f"Chosen on both libraries: weights {_weights(both)}, gap z {both['gap_z']}; "
        + "; ".join(
            f"{lib.name}: false gaps {both[lib.name]['false_gap_rate']:.1%}, "
            f"missed gaps {both[lib.name]['missed_gap_rate']:.1%}, AUC {both[lib.name]['auc']}"
            for lib in LIBRARIES
        )
    )
    table = Table(
        "chosen on",
        "measured on",
        "weights (coverage, vocabulary)",
        "gap z",
        "false gaps",
        "missed gaps",
        title="Out of fold: across libraries",
    )
    for row in result["across_libraries"]:
        table.add_row(
            row["chosen_on"],
            row["measured_on"],
            _weights(row),
            f"{row['gap_z']}",
            f"{row['false_gap_rate']:.1%} of {row['answerable']}",
            f"{row['missed_gap_rate']:.1%} of {row['unanswerable']}",
        )
    console.print(table)
    table = Table(
        "library", "false gaps", "missed gaps", title="Out of fold: 5-fold by scenario within each library, 20 shuffles"
    )
    for row in result["k_fold"]:
        table.add_row(row["library"], f"{row['false_gap_rate']:.1%}", f"{row['missed_gap_rate']:.1%}")
    console.print(table)


def _weights(row: dict) -> str:
    return f"{row['coverage_weight']}, {row['vocabulary_weight']}"


if __name__ == "__main__":
    main()
