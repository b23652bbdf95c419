"""Speed benchmarks, one entry point: `make bench` = `python -m benchmarks.run`.

    python -m benchmarks.run [--only index,query,coldstart,load,slow,quality,venv,scale,library,ray]
                             [--rounds N] [--sizes ...]

Parts (each prints a table and writes benchmarks/results/<part>.json, with the machine it ran on):
- index: pieces per second of a full build next to the bare encode of the same texts
  (benchmarks/index_bench.py);
- query: in-process `recommend` p50/p99 next to its floor, embedding plus vector search
  (benchmarks/query_bench.py);
- coldstart: wall time and peak memory of one `recommender recommend` process, and of refusals
  (benchmarks/coldstart_bench.py);
- load: the HTTP API at concurrency 1 and 8 next to its floor (benchmarks/load_bench.py);
- slow: legitimate requests while 100 and 500 connections hang half-open or trickle their headers
  (benchmarks/slow_clients.py);
- quality: the ONNX encoder against torch - cosine, SciFact nDCG@10, labelled gaps
  (benchmarks/quality_bench.py; slow the first time: it indexes SciFact per precision);
- venv: a torch-free '.[serve]' venv answers from a built index; venv sizes (benchmarks/serve_venv.py);
- scale: exact against approximate vector search on synthetic libraries up to 1M pieces
  (benchmarks/scale_bench.py; about half an hour at 1M);
- ray: embedding throughput of one local process against 1 and 2 Ray workers, and a cluster
  projection from the per-worker rate (benchmarks/ray_bench.py; needs the ray extra).
All figures are medians over rounds; where two things are compared they run interleaved.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import (
    coldstart_bench,
    index_bench,
    load_bench,
    quality_bench,
    query_bench,
    ray_bench,
    scale_bench,
    scale_library,
    serve_venv,
    slow_clients,
)
from indexer.build import BuildOptions

PARTS = ("index", "query", "coldstart", "load", "slow", "quality", "venv", "scale", "library", "ray")
RESULTS = Path("benchmarks/results")
BENCH_INDEX = Path(".recommender/bench/corpus-index")
REAL_INDEX = Path(".recommender/eval/scifact/index")  # built by `recommender eval --dataset ../shared/evaldata/scifact`


def machine() -> dict[str, Any]:
    import faiss

    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    memory = next((int(line.split()[1]) // 1024 for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "memory_mb": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "onnxruntime": _version("onnxruntime"),
        "torch": _version("torch"),
        "faiss": faiss.__version__,
        "faiss_threads": faiss.omp_get_max_threads(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def run_index(console: Console, rounds: int) -> dict[str, Any]:
    result = index_bench.measure(Path("corpus"), rounds=rounds, batch_size=BuildOptions.batch_size, console=console)
    console.print(index_bench.table(result))
    return asdict(result)


def run_query(console: Console, rounds: int) -> dict[str, Any]:
    result = query_bench.run(BENCH_INDEX, rounds=rounds, log=console.print)
    table = Table(
        title=(
            f"Query: recommend vs floor - {result['requests']} requests ({result['problems']} problems), "
            f"{result['pieces']} pieces, median of {rounds} rounds"
        )
    )
    for column in ("what", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "what" else "right")
    table.add_row("recommend (in process)", f"{result['recommend_p50_ms']:.1f}", f"{result['recommend_p99_ms']:.1f}")
    table.add_row("floor: embed + FAISS search", f"{result['floor_p50_ms']:.1f}", f"{result['floor_p99_ms']:.1f}")
    table.add_row("ratio at p50", f"{result['ratio_p50']:.2f}", "")
    console.print(table)
    return result


def run_scale(
    console: Console, rounds: int, sizes: Sequence[int], hnsw_budget: float, real_index: Path | None
) -> dict[str, Any]:
    result = scale_bench.run(
        sizes, rounds=rounds, hnsw_build_budget_s=hnsw_budget, real_index=real_index, log=console.print
    )
    console.print(
        _scale_table(
            f"Scale: vector search, synthetic {scale_bench.DIMENSION}-d vectors, {result['queries']} queries, "
            f"median of {rounds} rounds",
            result["rows"],
        )
    )
    if result["real_rows"]:
        console.print(
            _scale_table(f"The same on real vectors: {real_index}, held-out pieces as queries", result["real_rows"])
        )
    decision = result["decision"]
    console.print(
        f"exact search (1 thread) p50 reaches {decision['latency_budget_ms']} ms "
        f"at ~{decision['exact_p50_reaches_budget_at']:,} pieces; "
        f"smallest efSearch with recall@10 >= 0.99 at every size: {decision['smallest_ef_search_for_recall_0_99']} "
        f"(searching only part of the pieces: {decision['smallest_ef_search_for_recall_0_99_filtered']})"
    )
    return result


def _scale_table(title: str, rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for column in ("pieces", "index", "setting", "build s", "p50 ms", "p99 ms", "recall@10", "disk MB", "memory MB"):
        table.add_column(column, justify="left" if column in ("index", "setting") else "right")
    for row in rows:
        table.add_row(
            f"{row['pieces']:,}",
            row["index"],
            row["setting"],
            f"{row['build_seconds']:.1f}",
            f"{row['p50_ms']:.2f}",
            f"{row['p99_ms']:.2f}",
            f"{row['recall_at_10']:.4f}",
            f"{row['disk_mb']:.0f}",
            f"{row['memory_mb']:.0f}",
        )
    return table


def run_coldstart(console: Console, rounds: int) -> dict[str, Any]:
    result = coldstart_bench.run(BENCH_INDEX, rounds=rounds, log=console.print)
    table = Table(title=f"Cold start: one process, start to answer, median of {rounds} rounds")
    table.add_column("process")
    table.add_column("seconds", justify="right")
    table.add_column("peak MiB", justify="right")
    peak = {name: sorted(values)[len(values) // 2] for name, values in result["peak_mib"].items()}
    table.add_row("python -c pass", f"{result['interpreter_s']:.2f}", f"{peak['interpreter']:.0f}")
    table.add_row('python -c "import recommender.cli"', f"{result['imports_s']:.2f}", f"{peak['imports']:.0f}")
    table.add_row(
        "the encoder alone: load the index's encoder, embed the query",
        f"{result['encoder_only_s']:.2f}",
        f"{peak['encoder_only']:.0f}",
    )
    table.add_row(
        "recommender recommend --problem ... --json", f"{result['recommend_s']:.2f}", f"{peak['recommend']:.0f}"
    )
    table.add_row(
        "refused: --stage evalution (did you mean 'evaluation'?)",
        f"{result['bad_stage_s']:.2f}",
        f"{peak['bad_stage']:.0f}",
    )
    table.add_row("refused: no index at --index", f"{result['missing_index_s']:.2f}", f"{peak['missing_index']:.0f}")
    console.print(table)
    return result


def run_load(console: Console, requests: int) -> dict[str, Any]:
    return load_bench.main(["--requests", str(requests)])


def run_ray(console: Console, rounds: int) -> dict[str, Any]:
    result = ray_bench.run(
        rounds=rounds, count=2560, runtime="onnx", batch_size=BuildOptions.batch_size, log=console.print
    )
    console.print(ray_bench.table(result))
    for line in ray_bench.summary_lines(result):
        console.print(line)
    return result


def run_quality(console: Console, dataset: Path) -> dict[str, Any]:
    result = quality_bench.run(dataset, log=console.print)
    table = Table(
        title=(
            "ONNX quality gate: against sentence-transformers on torch "
            f"(gates: nDCG@10 >= {quality_bench.NDCG_GATE}, mean cosine >= {quality_bench.COSINE_GATE})"
        )
    )
    for column in (
        "precision",
        "mean cosine",
        "min cosine",
        "SciFact hybrid nDCG@10",
        "missed gaps",
        "false gaps",
        "scenario nDCG@5",
    ):
        table.add_column(column, justify="left" if column == "precision" else "right")
    table.add_row("torch fp32 (reference)", "1", "1", f"{quality_bench.TORCH_NDCG:.4f}", "0", "12", "0.532")
    for precision, row in result["precisions"].items():
        name = precision + (" (default)" if precision == result["default_precision"] else "")
        table.add_row(
            f"onnx {name}",
            f"{row['cosine']['mean']:.4f}",
            f"{row['cosine']['min']:.4f}",
            f"{row['scifact']['ndcg@10']:.4f}",
            str(row["scenarios"]["missed_gaps"]),
            str(row["scenarios"]["false_gaps"]),
            f"{row['scenarios']['ndcg@5']:.3f}",
        )
    console.print(table)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description="Speed benchmarks: tables on stdout, JSON in benchmarks/results/."
    )
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts (default: all of {', '.join(PARTS)})"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds per measurement; medians are reported (default 5; index: 3)"
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="synthetic library sizes for the scale part")
    parser.add_argument(
        "--hnsw-budget", type=float, default=3600.0, help="give up an HNSW build projected to take longer (seconds)"
    )
    parser.add_argument(
        "--real-index",
        type=Path,
        default=REAL_INDEX,
        help=f"also measure on the vectors of this index (default {REAL_INDEX}, when it exists)",
    )
    parser.add_argument("--requests", type=int, default=150, help="requests per concurrency level of the load part")
    parser.add_argument(
        "--dataset", type=Path, default=Path("../shared/evaldata/scifact"), help="BEIR collection of the quality part"
    )
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    console = Console(width=None if sys.stdout.isatty() else 160)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for part in parts:
        console.rule(part)
        info = machine()
        if part == "index":
            result = run_index(console, min(args.rounds, 3))
        elif part == "query":
            result = run_query(console, args.rounds)
        elif part == "scale":
            real = args.real_index if args.real_index is not None and (args.real_index / "current").exists() else None
            result = run_scale(console, args.rounds, [int(s) for s in args.sizes.split(",")], args.hnsw_budget, real)
        elif part == "load":
            result = run_load(console, args.requests)
        elif part == "slow":
            result = slow_clients.main([])
        elif part == "quality":
            result = run_quality(console, args.dataset)
        elif part == "venv":
            result = serve_venv.main([])
        elif part == "ray":
            result = run_ray(console, min(args.rounds, 3))
        elif part == "library":
            result = scale_library.run(
                [int(s) for s in args.sizes.split(",")], queries=100, seed=7, keep=None, reuse=False, console=console
            )
            console.print(scale_library.table(result))
        else:
            result = run_coldstart(console, args.rounds)
        info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        payload = {
            "part": part,
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": info,
            "result": result,
        }
        if part == "index":  # keep the shape index_bench's own entry point writes to the same file
            payload = {**result, "machine_details": info}
        path = RESULTS / ("scale_library.json" if part == "library" else f"{part}.json")
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
