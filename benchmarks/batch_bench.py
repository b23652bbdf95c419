"""Batch throughput: requests per second of `run_batch`, next to bare `recommend` calls in the same run.

    python -m benchmarks.batch_bench [--index DIR] [--requests 200] [--rounds 3] [--torch-threads N]

The requests are the sample deals (samples/deals.jsonl: 1-2 problems, stage, roles, industry),
repeated with fresh ids up to `--requests`, over the sample corpus indexed with the real bundled
model. Each round runs the whole file through `run_batch` into a new results file (parse, answer,
one flushed JSON line per result) and the same requests through `Recommender.recommend` in a loop
(the floor: batch adds only reading and writing), alternating which goes first. Medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.build import BuildOptions, build_index
from indexer.embed import load_embedder
from indexer.settings import Settings
from indexer.vocabulary import Vocabulary
from recommender.batch import run_batch
from recommender.batch_sinks import JsonLines
from recommender.service import Recommender, parse_request

DEALS = Path("samples/deals.jsonl")
DEFAULT_INDEX = Path(".recommender/bench/batch-index")


@dataclass(frozen=True)
class BatchBenchResult:
    requests: int
    rounds: int
    torch_threads: int
    batch_per_second: float
    recommend_per_second: float
    overhead_ratio: float  # batch seconds / recommend seconds


def write_requests(path: Path, count: int) -> list[dict]:
    base = [json.loads(line) for line in DEALS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [{**base[n % len(base)], "id": f"bench-{n}"} for n in range(count)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return rows


def time_batch(recommender: Recommender, requests: Path, out: Path) -> float:
    out.unlink(missing_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        summary = run_batch(recommender, requests, JsonLines(handle))
    assert summary.written == summary.lines and not summary.bad
    return summary.seconds


def time_recommend(recommender: Recommender, rows: list[dict]) -> float:
    requests = [parse_request({k: v for k, v in row.items() if k != "id"}) for row in rows]
    start = time.perf_counter()
    for request in requests:
        recommender.recommend(request)
    return time.perf_counter() - start


def measure(index: Path, *, count: int, rounds: int, log: Callable[[str], None] = print) -> BatchBenchResult:
    import torch

    embedder = load_embedder(None)
    build_index([Path("corpus")], options=BuildOptions(index=index), embedder=embedder, vocabulary=Vocabulary())
    recommender = Recommender.open(Settings(index=index), embedder=embedder)
    work = Path(tempfile.mkdtemp(prefix="batch-bench-"))
    rows = write_requests(work / "requests.jsonl", count)
    time_recommend(recommender, rows[:12])  # warm up
    batch, bare = [], []
    for r in range(rounds):
        steps = [
            lambda: batch.append(time_batch(recommender, work / "requests.jsonl", work / "results.jsonl")),
            lambda: bare.append(time_recommend(recommender, rows)),
        ]
        for step in steps if r % 2 == 0 else reversed(steps):
            step()
        log(f"  round {r + 1}: batch {count / batch[-1]:.1f} requests/s, recommend {count / bare[-1]:.1f} requests/s")
    b, f = statistics.median(batch), statistics.median(bare)
    return BatchBenchResult(
        count, rounds, torch.get_num_threads(), round(count / b, 2), round(count / f, 2), round(b / f, 3)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index", type=Path, default=DEFAULT_INDEX, help="index folder for the sample corpus (built or refreshed here)"
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--torch-threads", type=int, default=None, help="set torch's intra-op threads before measuring")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    result = measure(args.index, count=args.requests, rounds=args.rounds)
    print(json.dumps(asdict(result), indent=2))
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
