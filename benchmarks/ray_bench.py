"""Embedding throughput on Ray Data next to one local process, and a projection to a cluster.

    python -m benchmarks.ray_bench [--rounds N] [--texts N] [--runtime onnx|torch] [--out FILE]

The texts are what a build of the sample corpus embeds (pieces, sentences and the calibration's
questions), every k-th of them up to `--texts`, cut into chunks exactly as `indexer/build.py` does
(longest first, chunks of 8 batches). Each round embeds them with, interleaved and in alternating order:

- local: one process, the encoder on 2 threads (the machine's 2 cores);
- ray x1: one Ray worker on 1 thread - the per-worker rate;
- ray x2: two Ray workers on 1 thread each, on a local Ray instance with 2 CPUs.

A Ray time includes starting the workers and loading the encoder in each, as a build pays it
(the Ray instance itself is started once, and timed separately). The goal: ray x2 within 1.2x of
local. Efficiency = rate(ray x2) / (2 x rate(ray x1)); a cluster of W workers is projected at
W x rate(ray x1) x efficiency - a projection from two workers on a shared machine, not a
measurement. The vectors of every run are checked against the local ones (max abs difference).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from indexer.build import BuildOptions, embedded_texts
from indexer.embed import Embedder
from indexer.encoders import indexing_encoder
from indexer.engines import EmbeddingEngine, LocalEngine, RayEngine
from indexer.settings import Settings
from indexer.vocabulary import Vocabulary

GOAL_RATIO = 1.2
CORPUS = Path("corpus")
EXPORTS = Path(".recommender/bench/encoders")
DEFAULT_OUT = Path("benchmarks/results/ray.json")
PROJECTED_WORKERS = (8, 32, 128)


def bench_texts(count: int, embedder: Embedder) -> list[str]:
    """Every k-th text a build of the sample corpus embeds, about `count` of them, in the build's order."""
    texts = embedded_texts(
        [CORPUS], options=BuildOptions(index=Path("unused")), embedder=embedder, vocabulary=Vocabulary()
    )
    step = max(1, len(texts) // count)
    return sorted(dict.fromkeys(texts[::step][:count]), key=lambda t: -len(t))  # as the build sorts them


def chunks_of(texts: Sequence[str], batch_size: int) -> list[list[str]]:
    return [list(texts[i : i + batch_size * 8]) for i in range(0, len(texts), batch_size * 8)]


def time_engine(
    engine: EmbeddingEngine, embedder: Embedder, chunks: list[list[str]], batch_size: int
) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = np.vstack(list(engine.embed_chunks(embedder, chunks, batch_size=batch_size, progress=lambda n: None)))
    return time.perf_counter() - started, vectors


def run(*, rounds: int, count: int, runtime: str, batch_size: int, log: Any = print) -> dict[str, Any]:
    import ray
    import ray.data  # before quietening it: importing Ray Data sets its loggers' levels

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    for name in ("ray", "ray.data"):  # no execution plans between the rounds
        logging.getLogger(name).setLevel(logging.ERROR)
    local_encoder = indexing_encoder(Settings(runtime=runtime, encoder_threads=2), exports=EXPORTS)  # type: ignore[arg-type]
    texts = bench_texts(count, local_encoder)
    chunks = chunks_of(texts, batch_size)
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    engines: dict[str, EmbeddingEngine] = {
        "local": LocalEngine(),
        "ray x1": RayEngine(workers=1, threads=1),
        "ray x2": RayEngine(workers=2, threads=1),
    }
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    differences: dict[str, float] = {name: 0.0 for name in engines}
    reference: np.ndarray | None = None
    try:
        for r in range(rounds):
            order = list(engines) if r % 2 == 0 else list(reversed(engines))
            for name in order:
                elapsed, vectors = time_engine(engines[name], local_encoder, chunks, batch_size)
                seconds[name].append(elapsed)
                if reference is None:
                    reference = vectors
                differences[name] = max(differences[name], float(np.abs(vectors - reference).max()))
                log(f"round {r + 1}/{rounds} {name}: {elapsed:.1f}s")
    finally:
        ray.shutdown()
    return _result(texts, chunks, seconds, differences, runtime=runtime, batch_size=batch_size, ray_start=ray_start)


def _result(
    texts: Sequence[str],
    chunks: Sequence[Sequence[str]],
    seconds: dict[str, list[float]],
    differences: dict[str, float],
    *,
    runtime: str,
    batch_size: int,
    ray_start: float,
) -> dict[str, Any]:
    median = {name: statistics.median(values) for name, values in seconds.items()}
    rate = {name: len(texts) / s for name, s in median.items()}
    efficiency = rate["ray x2"] / (2 * rate["ray x1"])
    return {
        "texts": len(texts),
        "chunks": len(chunks),
        "batch_size": batch_size,
        "runtime": runtime,
        "threads": {"local": 2, "ray worker": 1},
        "rounds": len(seconds["local"]),
        "seconds": seconds,
        "median_seconds": median,
        "texts_per_second": rate,
        "ratio_ray2_to_local": median["ray x2"] / median["local"],
        "goal_ratio": GOAL_RATIO,
        "per_worker_texts_per_second": rate["ray x1"],
        "efficiency_at_2_workers": efficiency,
        "projection_texts_per_second": {str(w): w * rate["ray x1"] * efficiency for w in PROJECTED_WORKERS},
        "max_abs_difference_to_local": differences,
        "ray_start_seconds": ray_start,
    }


def table(result: dict[str, Any]) -> Table:
    out = Table(
        title=(
            f"Embedding on Ray: {result['texts']} texts of the sample corpus ({result['runtime']}, "
            f"{result['chunks']} chunks), median of {result['rounds']} rounds"
        )
    )
    for column in ("engine", "seconds", "texts/s", "max abs diff to local"):
        out.add_column(column, justify="left" if column == "engine" else "right")
    for name, seconds in result["median_seconds"].items():
        out.add_row(
            name,
            f"{seconds:.1f}",
            f"{result['texts_per_second'][name]:.1f}",
            f"{result['max_abs_difference_to_local'][name]:.1e}",
        )
    return out


def summary_lines(result: dict[str, Any]) -> list[str]:
    ratio = result["ratio_ray2_to_local"]
    verdict = "within" if ratio <= result["goal_ratio"] else "NOT within"
    projection = ", ".join(
        f"{w} workers ~{rate:,.0f} texts/s" for w, rate in result["projection_texts_per_second"].items()
    )
    return [
        f"ray x2 / local time: {ratio:.2f} ({verdict} the {result['goal_ratio']}x goal); "
        f"Ray start-up (once per command): {result['ray_start_seconds']:.1f}s",
        f"per-worker rate {result['per_worker_texts_per_second']:.1f} texts/s, "
        f"efficiency at 2 workers {result['efficiency_at_2_workers']:.2f}",
        f"projection (workers x per-worker rate x efficiency): {projection}",
    ]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ray_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--texts", type=int, default=2560, help="how many of the corpus's texts (default 2560: 10 chunks)"
    )
    parser.add_argument("--runtime", choices=("onnx", "torch"), default="onnx")
    parser.add_argument("--batch-size", type=int, default=BuildOptions.batch_size)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    console = Console()
    info = machine()  # before the rounds: the load average at the start
    result = run(
        rounds=args.rounds, count=args.texts, runtime=args.runtime, batch_size=args.batch_size, log=console.print
    )
    console.print(table(result))
    for line in summary_lines(result):
        console.print(line)
    write(result, args.out, info)
    console.print(f"wrote {args.out}")
    return result


def machine() -> dict[str, Any]:
    from benchmarks.run import machine as record  # the same machine record as every other part

    return record()


def write(result: dict[str, Any], path: Path, info: dict[str, Any]) -> None:
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    payload = {
        "part": "ray",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": info,
        "result": result,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
