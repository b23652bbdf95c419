"""Query: in-process `Recommender.recommend` latency next to its floor, in the same run.

The requests are the 51 labelled buyer scenarios (tests/data/scenarios.yaml: 1-3 problems, stage,
roles, industry) over the sample corpus, indexed with the default encoder and answered as a user's
process answers them: `Recommender.open` with the encoder the index carries. The floor is what
no recommendation can avoid: embedding the request's problems (one batch, as the service does;
for one problem that is `embed_query`) and one FAISS search of the snapshot per problem, for as
many pieces as the retriever takes. Each round times every request both ways, alternating which
goes first; p50 and p99 are taken per round and the medians over rounds reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from indexer.build import BuildOptions, build_index
from indexer.embed import Embedder
from indexer.encoders import exports_of, indexing_encoder
from indexer.settings import Settings
from indexer.vocabulary import Vocabulary
from recommender.models import RecommendationRequest
from recommender.scenarios import load_scenarios
from recommender.service import Recommender, parse_request

SCENARIOS = Path("tests/data/scenarios.yaml")


@dataclass(frozen=True)
class QueryResult:
    requests: int
    problems: int
    pieces: int
    rounds: int
    recommend_p50_ms: float
    recommend_p99_ms: float
    floor_p50_ms: float
    floor_p99_ms: float
    ratio_p50: float  # recommend p50 / floor p50


def requests_from(path: Path) -> list[RecommendationRequest]:
    return [parse_request(s.request(max_items=5)) for s in load_scenarios(path)]


def floor(recommender: Recommender, embedder: Embedder, problems: Sequence[str], k: int) -> None:
    """Embed the problems and search the vectors: the part of a request that cannot be skipped."""
    vectors = (
        embedder.embed_query(problems[0])[None, :]
        if len(problems) == 1
        else embedder.embed(list(problems), batch_size=16)
    )
    index = recommender.snapshot.vectors
    for vector in vectors:
        index.search(vector, min(k, index.size))


def prepare_index(index: Path, *, corpus: Path = Path("corpus")) -> None:
    """The corpus indexed with the default encoder (incrementally: unchanged text is not embedded again)."""
    settings = Settings(index=index)
    build_index(
        [corpus],
        options=BuildOptions(index=index),
        embedder=indexing_encoder(settings, exports=exports_of(settings)),
        vocabulary=Vocabulary(),
    )


def measure(
    index: Path, *, corpus: Path = Path("corpus"), rounds: int = 5, log: Callable[[str], None] = print
) -> QueryResult:
    prepare_index(index, corpus=corpus)
    recommender = Recommender.open(Settings(index=index))
    embedder = recommender.retriever.embedder
    requests = requests_from(SCENARIOS)
    k = recommender.retriever.fusion.candidates  # pieces the hybrid search takes from FAISS per problem
    steps: list[tuple[str, Callable[[RecommendationRequest], object]]] = [
        ("recommend", recommender.recommend),
        ("floor", lambda r: floor(recommender, embedder, r.problems, k)),
    ]
    for request in requests[:5]:  # warm up both paths
        for _, step in steps:
            step(request)
    times: dict[str, list[np.ndarray]] = {"recommend": [], "floor": []}
    for r in range(rounds):
        round_times: dict[str, list[float]] = {"recommend": [], "floor": []}
        for i, request in enumerate(requests):
            for name, step in steps if (r + i) % 2 == 0 else reversed(steps):
                start = time.perf_counter_ns()
                step(request)
                round_times[name].append((time.perf_counter_ns() - start) / 1e6)
        for name, values in round_times.items():
            times[name].append(np.array(values))
        log(
            f"  round {r + 1}: recommend p50 {np.percentile(round_times['recommend'], 50):.1f} ms, "
            f"floor p50 {np.percentile(round_times['floor'], 50):.1f} ms"
        )
    rec50, rec99 = _percentiles(times["recommend"])
    flo50, flo99 = _percentiles(times["floor"])
    return QueryResult(
        len(requests),
        sum(len(r.problems) for r in requests),
        recommender.snapshot.vectors.size,
        rounds,
        rec50,
        rec99,
        flo50,
        flo99,
        round(rec50 / flo50, 2),
    )


def _percentiles(rounds: Sequence[np.ndarray]) -> tuple[float, float]:
    return (
        round(float(np.median([np.percentile(t, 50) for t in rounds])), 2),
        round(float(np.median([np.percentile(t, 99) for t in rounds])), 2),
    )


def run(index: Path, *, rounds: int = 5, log: Callable[[str], None] = print) -> dict:
    return asdict(measure(index, rounds=rounds, log=log))
