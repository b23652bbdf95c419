"""The seeded engagement simulator (benchmarks/engagement_sim.py) on the real corpus index: its history is
made of buyer-facing items only, and priors learned from it raise the engagement-weighted metric while the
scenario set's nDCG@5 moves by at most 0.01 - the claim docs/benchmarks.md reports at full size."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from benchmarks.engagement_sim import SCENARIOS, TODAY, ground_truth, measure, simulate
from indexer.embed import Embedder
from indexer.settings import Settings
from recommender.events.store import EventStore
from recommender.scenarios import load_scenarios, resolve_ids
from recommender.service import Recommender

pytestmark = pytest.mark.slow


def test_priors_from_a_simulated_history_help_engagement_and_keep_relevance(
    corpus_index: Path, embedder: Embedder, tmp_path: Path
) -> None:
    rng = np.random.default_rng(7)
    plain = Recommender.open(Settings(index=corpus_index, engagement=False), embedder=embedder, today=lambda: TODAY)
    scenarios = resolve_ids(load_scenarios(SCENARIOS), plain.snapshot)
    buyer = {d.meta.id for d in plain.snapshot.documents if d.meta.audience == "buyer"}
    truth = ground_truth(sorted(buyer), rng)
    events = simulate(plain, scenarios, truth, deals=1500, rng=rng)
    assert events and {e.content_id for e in events} <= buyer
    assert all(TODAY - dt.timedelta(days=365) <= e.at.date() < TODAY for e in events)
    store = EventStore(tmp_path / "events.sqlite3")
    store.append(events, source="simulator")
    learned = Recommender(plain.snapshot, embedder, vocabulary=plain.vocabulary, today=lambda: TODAY, history=store)
    off, on = measure(plain, scenarios, truth), measure(learned, scenarios, truth)
    assert on["edcg_at_5"] > off["edcg_at_5"]
    assert abs(on["ndcg_at_5"] - off["ndcg_at_5"]) <= 0.01
