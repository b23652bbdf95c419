"""A seeded simulator of deal-room engagement with known ground truth: do engagement priors help?

    recommender index corpus --index /tmp/sim-index
    python -m benchmarks.engagement_sim --index /tmp/sim-index [--seed 7] [--deals 3000]

1. Ground truth: every buyer-facing item gets a hidden read-to-the-end probability per buying stage,
   p(item, stage) = clip(q_item + noise_stage, 0.02, 0.98), q_item ~ Beta(2, 4), noise ~ N(0, 0.1).
2. History: `--deals` deals over the past year, each a labelled buyer scenario of
   tests/data/scenarios.yaml drawn at random; the seller sends 3 items drawn from the top 10 the
   recommender (priors off) gives for it; each send is read to the end with probability p(item, stage)
   (a `viewed` event of the item's full reading time), else glanced at (a fifth of it). The events
   go into a real event store (`--store`, the file `recommender eval` reads through RECOMMENDER_EVENTS).
3. Measure, on every scenario, the recommender with priors (learned from that history) against
   without: the engagement-weighted metric eDCG@5 = sum over the set of p(item, stage) / log2(rank + 1),
   averaged over scenarios, and the mean p of the items sent; and the scenario set's nDCG@5 against
   its human labels (the figure `recommender eval --scenarios tests/data/scenarios.yaml --as-of
   2026-11-27` prints), which must move by at most 0.01.

The ground truth is independent of the labels, so priors can only help engagement by reordering
answers and must not cost relevance. Results: benchmarks/results/engagement_sim.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.settings import Settings
from indexer.vocabulary import STAGES
from recommender.events import priors
from recommender.events.models import Event
from recommender.events.store import EventStore
from recommender.models import Recommendation
from recommender.requests import parse_request
from recommender.scenario_eval import report, run_scenarios
from recommender.scenarios import Scenario, load_scenarios, resolve_ids
from recommender.service import Recommender

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 27)
SCENARIOS = ROOT / "tests" / "data" / "scenarios.yaml"
SENT_PER_DEAL, SHORTLIST, K = 3, 10, 5
Truth = dict[tuple[str, str], float]


def ground_truth(ids: Sequence[str], rng: np.random.Generator) -> Truth:
    quality = dict(zip(ids, rng.beta(2, 4, size=len(ids)), strict=True))
    return {(i, s): float(np.clip(quality[i] + rng.normal(0, 0.1), 0.02, 0.98)) for i in ids for s in STAGES}


def simulate(
    recommender: Recommender, scenarios: Sequence[Scenario], truth: Truth, *, deals: int, rng: np.random.Generator
) -> list[Event]:
    minutes = {d.meta.id: d.reading_minutes for d in recommender.snapshot.documents}
    shortlists = [_answer(recommender, s, SHORTLIST) for s in scenarios]
    events: list[Event] = []
    for n in range(deals):
        pick = int(rng.integers(len(scenarios)))
        answer = shortlists[pick]
        stage = answer.recognised.stage or STAGES[int(rng.integers(len(STAGES)))]
        ids = [i.id for i in answer.items]
        if not ids:
            continue
        at = dt.datetime.combine(TODAY - dt.timedelta(days=int(rng.integers(1, 365))), dt.time(12), dt.UTC)
        for item in rng.choice(ids, size=min(SENT_PER_DEAL, len(ids)), replace=False):
            read = rng.random() < truth.get((str(item), stage), 0.0)
            seconds = minutes[str(item)] * 60 * (1.0 if read else 0.2)
            base = {"deal_id": f"deal-{n}", "content_id": str(item), "at": at}
            events.append(Event(event_id=f"{n}-{item}-sent", type="sent", stage=stage, **base))
            events.append(Event(event_id=f"{n}-{item}-viewed", type="viewed", seconds=seconds, **base))
    return events


def measure(recommender: Recommender, scenarios: Sequence[Scenario], truth: Truth) -> dict[str, float]:
    answers = [_answer(recommender, s, K) for s in scenarios]
    edcg, mean_p = [], []
    for answer in answers:
        stage = answer.recognised.stage
        ps = [truth.get((i.id, stage), 0.0) if stage else _mean_p(truth, i.id) for i in answer.items]
        edcg.append(sum(p / math.log2(rank + 2) for rank, p in enumerate(ps)))
        mean_p.extend(ps)
    scored = report(recommender, run_scenarios(recommender, scenarios, today=TODAY), audience="buyer", today=TODAY)
    return {
        "edcg_at_5": round(float(np.mean(edcg)), 4),
        "mean_read_probability": round(float(np.mean(mean_p)), 4),
        "ndcg_at_5": scored.curated.ndcg_at_5,
    }


def _answer(recommender: Recommender, scenario: Scenario, max_items: int) -> Recommendation:
    return recommender.recommend(parse_request(scenario.request(max_items=max_items)))


def _mean_p(truth: Truth, item: str) -> float:
    return float(np.mean([truth.get((item, s), 0.0) for s in STAGES]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index of corpus/")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deals", type=int, default=3000)
    parser.add_argument("--store", type=Path, default=Path("/tmp/engagement-sim/events.sqlite3"))
    parser.add_argument("--max-boost", type=float, default=None, help="try another bound than the shipped one")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "engagement_sim.json")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.max_boost is not None:
        priors.MAX_BOOST = args.max_boost
    settings = Settings(index=args.index, events=args.store, engagement=False)
    if args.store.exists():
        raise SystemExit(f"{args.store} exists; give a new --store so the history is only this run's")
    plain = Recommender.open(settings, today=lambda: TODAY)
    scenarios = resolve_ids(load_scenarios(SCENARIOS), plain.snapshot)
    buyer_ids = [d.meta.id for d in plain.snapshot.documents if d.meta.audience == "buyer"]
    truth = ground_truth(buyer_ids, rng)
    events = simulate(plain, scenarios, truth, deals=args.deals, rng=rng)
    store = EventStore(args.store)
    store.append(events, source="simulator")
    with_priors = Recommender(
        plain.snapshot, plain.retriever.embedder, vocabulary=plain.vocabulary, today=lambda: TODAY, history=store
    )
    off, on = measure(plain, scenarios, truth), measure(with_priors, scenarios, truth)
    result = {
        "seed": args.seed,
        "deals": args.deals,
        "max_boost": priors.MAX_BOOST,
        "events": len(events),
        "scenarios": len(scenarios),
        "store": str(args.store),
        "without_priors": off,
        "with_priors": on,
        "edcg_gain": round(on["edcg_at_5"] - off["edcg_at_5"], 4),
        "ndcg_change": round(on["ndcg_at_5"] - off["ndcg_at_5"], 4),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
