"""Scale: whole synthetic libraries of 10k, 100k and 1M pieces, built, loaded and answered.

    python -m benchmarks.scale_library [--sizes 10000 100000 1000000] [--queries 100] [--keep DIR]

For each size: a seeded synthetic library (benchmarks/synthetic_library.py: content, metadata -
mostly internal, a tenth buyer-facing - and vectors generated like all-MiniLM-L6-v2's) goes
through the same build path as a real one after embedding (`indexer.build.write_embedded`:
keyword index, vector graphs, document vectors, near-duplicate pairs, calibration, writing), timed
step by step. A fresh process then loads it as the server does (`Recommender(load_index(...))`)
and answers `recommend` for synthetic buyer problems as a seller and as a buyer. Its embedder
returns the query's generated vector, so the latency EXCLUDES query embedding (~17 ms with the
real model, measured in benchmarks/query_bench.py). Reported: load seconds, RSS after load and
after the requests (peak RSS of the process, which is what a server holds), recommend p50/p99,
and recall@10 of the dense search the retriever runs against exact search over the same allowed
pieces, with and without the buyer filter. The results go to benchmarks/results/scale_library.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from indexer.embed import Embedder

RESULTS = Path("benchmarks/results")
TARGETS = {"rss_mb": 4096, "load_seconds": 20.0, "p50_ms": 40.0, "recall_at_10": 0.99}
SIZES = (10_000, 100_000, 1_000_000)
TODAY = dt.date(2026, 11, 30)  # the libraries' dates are relative to it; requests are answered on it


# ---- building -------------------------------------------------------------------------------


class _Phases:
    """A build Progress that times each phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._current: str | None = None
        self._started = 0.0

    def phase(self, name: str, total: int) -> None:
        self._close()
        self._current, self._started = name, time.perf_counter()

    def advance(self, amount: int) -> None:
        pass

    def _close(self) -> None:
        if self._current is not None:
            self.seconds[self._current] = round(time.perf_counter() - self._started, 2)
            self._current = None

    def finish(self) -> dict[str, float]:
        self._close()
        return self.seconds


def build(pieces: int, root: Path, *, seed: int) -> dict[str, Any]:
    """Generate a library of `pieces` and publish it at `root`; the time of each step."""
    from benchmarks.synthetic_library import generate
    from indexer.build import Embedded, new_build_id, write_embedded
    from indexer.keyword import KeywordConfig
    from indexer.manifest import FORMAT_VERSION
    from indexer.store import publish

    started = time.perf_counter()
    library = generate(pieces, seed=seed, today=TODAY)
    generated = time.perf_counter() - started
    content = library.content
    build_id = new_build_id()
    manifest = {
        "format_version": FORMAT_VERSION,
        "build_id": build_id,
        "built_at": "2026-11-30T00:00:00+00:00",
        "model": {"id": SYNTHETIC_MODEL, "dimension": library.piece_vectors.shape[1], "max_tokens": 256},
        "encoder": {"runtime": "synthetic", "precision": "fp32", "fingerprint": f"seed-{seed}", "folder": None},
        "counts": {
            "documents": len(content.documents),
            "sections": len(content.sections),
            "pieces": len(content.pieces),
            "buyer_documents": sum(d.meta.audience == "buyer" for d in content.documents),
        },
        "keyword": KeywordConfig().as_dict(),
        "chunking": {"overlap_tokens": 48, "title_in_pieces": 0, "sentences": 1},
        "sources": [f"synthetic:{pieces}:{seed}"],
    }
    phases = _Phases()
    started = time.perf_counter()
    folder = write_embedded(
        root,
        build_id,
        content,
        [p.text for p in content.pieces],
        Embedded(library.piece_vectors, library.sentence_vectors, library.question_vectors),
        manifest=manifest,
        keyword=KeywordConfig(),
        sink=phases,
    )
    publish(root, folder)
    total = time.perf_counter() - started
    steps = phases.finish()
    return {
        "pieces": len(content.pieces),
        "documents": len(content.documents),
        "sentences": len(content.sentences),
        "generate_seconds": round(generated, 1),
        "build_seconds": round(total, 1),
        "steps": steps,
        "disk_mb": round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1),
        "planted_duplicates": [list(map(int, p)) for p in library.planted_duplicates],
    }


SYNTHETIC_MODEL = "synthetic-minilm-like"


# ---- serving (in a fresh process) ----------------------------------------------------------


def serve_and_measure(root: Path, pieces: int, *, seed: int, queries: int) -> dict[str, Any]:
    """Run `_measure` in a fresh Python process, so its memory is the loaded index's alone."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.scale_library",
            "--measure",
            str(root),
            str(pieces),
            str(seed),
            str(queries),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS), or its peak since the last `_reset_peak` (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    """Start VmHWM afresh (Linux: writing 5 to clear_refs), so the peak is the serving part's alone."""
    Path("/proc/self/clear_refs").write_text("5")


def _measure(root: Path, pieces: int, seed: int, count: int) -> dict[str, Any]:
    from benchmarks.synthetic_library import queries as draw_queries
    from indexer.store import load_index
    from recommender.candidates import allowed_documents
    from recommender.requests import parse_request
    from recommender.resolve import resolve
    from recommender.service import Recommender

    asked = draw_queries(pieces, count, seed=seed)
    embedder = _Lookup({q.text: q.vector for q in asked}, dimension=len(asked[0].vector))
    _reset_peak()
    rss_before = _rss_mb()
    started = time.perf_counter()
    snapshot = load_index(root, model_id=None)
    recommender = Recommender(snapshot, embedder, engagement=False, today=lambda: TODAY)
    load_seconds = time.perf_counter() - started
    rss_loaded = _rss_mb()
    out: dict[str, Any] = {"load_seconds": round(load_seconds, 2), "rss_after_load_mb": round(rss_loaded, 1)}
    out["rss_before_load_mb"] = round(rss_before, 1)
    today = TODAY
    for audience in ("seller", "buyer"):
        requests = [parse_request({"problems": [q.text], "audience": audience, "max_items": 5}) for q in asked]
        recommender.recommend(requests[0])  # the first request opens SQLite connections
        times = []
        for request in requests:
            t0 = time.perf_counter()
            recommender.recommend(request)
            times.append((time.perf_counter() - t0) * 1000)
        out[audience] = {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(np.percentile(times, 99), 2)}
    # what the serving process holds at its peak, before the exact reference search below reads every vector
    out["peak_rss_mb"] = round(_rss_mb("VmHWM"), 1)
    out["rss_after_requests_mb"] = round(_rss_mb(), 1)
    matrix = snapshot.matrix
    for audience in ("seller", "buyer"):
        request = parse_request({"problems": [asked[0].text], "audience": audience})
        resolved = resolve(request, recommender.vocabulary, known_types=frozenset())
        allowed = allowed_documents(snapshot, resolved, today)[snapshot.piece_doc]
        found = []
        for q in asked:
            rows, _ = snapshot.vectors.search(q.vector, 10, allowed)
            exact = np.where(allowed, matrix @ q.vector, -np.inf)
            truth = set(np.argpartition(-exact, 10)[:10].tolist())
            found.append(len(truth & set(rows.tolist())) / 10)
        out[audience] |= {"recall_at_10": round(float(np.mean(found)), 4), "allowed_share": round(allowed.mean(), 4)}
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    out["vector_search"] = snapshot.vectors.kind
    out["duplicate_pairs"] = [[p.first, p.second] for p in snapshot.duplicate_pairs]
    return out


class _Lookup(Embedder):
    """An embedder that returns each synthetic query's generated vector (so timings exclude embedding)."""

    model_id = SYNTHETIC_MODEL
    runtime = "synthetic"

    def __init__(self, vectors: dict[str, np.ndarray], *, dimension: int) -> None:
        self.vectors, self.dimension, self.max_tokens = vectors, dimension, 256

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.vectors[t] for t in texts]).astype(np.float32)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


# ---- the run ---------------------------------------------------------------------------------


def run(
    sizes: Sequence[int], *, queries: int, seed: int, keep: Path | None, reuse: bool, console: Console
) -> dict[str, Any]:
    rows = []
    for pieces in sizes:
        root = (keep / f"lib-{pieces}") if keep else Path(tempfile.mkdtemp(prefix=f"scale-{pieces}-"))
        record = root / "benchmark-build.json"
        if reuse and record.is_file():
            built = json.loads(record.read_text(encoding="utf-8"))
            console.print(f"[bold]{pieces:,} pieces[/]: reusing the build at {root} (its build times as recorded)")
        else:
            shutil.rmtree(root, ignore_errors=True)
            console.print(f"[bold]{pieces:,} pieces[/]: generating and building ...")
            built = build(pieces, root, seed=seed) | {"load_average_after_build": list(os.getloadavg())}
            record.write_text(json.dumps(built), encoding="utf-8")
        console.print(f"  built in {built['build_seconds']} s: {built['steps']}")
        served = serve_and_measure(root, pieces, seed=seed, queries=queries)
        planted = {tuple(sorted(p)) for p in built.pop("planted_duplicates")}
        found = {tuple(p) for p in served.pop("duplicate_pairs")}
        served["planted_duplicates_found"] = f"{len(planted & found)} of {len(planted)}"
        console.print(f"  served: {served}")
        rows.append(built | served)
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return {"seed": seed, "queries": queries, "targets": TARGETS, "rows": rows, "growth": _growth(rows)}


def _growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each step's time ratio between consecutive sizes, next to the ratio of their sizes (linear = equal)."""
    out = []
    for small, large in zip(rows, rows[1:]):
        size = large["pieces"] / small["pieces"]
        steps = {
            name: round(large["steps"][name] / max(small["steps"][name], 0.01), 1)
            for name in large["steps"]
            if name in small["steps"]
        }
        out.append(
            {
                "from": small["pieces"],
                "to": large["pieces"],
                "size_ratio": round(size, 1),
                "build_steps": steps,
                "load": round(large["load_seconds"] / max(small["load_seconds"], 0.01), 1),
                "seller_p50": round(large["seller"]["p50_ms"] / small["seller"]["p50_ms"], 1),
                "buyer_p50": round(large["buyer"]["p50_ms"] / small["buyer"]["p50_ms"], 1),
            }
        )
    return out


def table(result: dict[str, Any]) -> Table:
    out = Table(title="Synthetic libraries: build, load and recommend (p50 excludes query embedding)")
    for column in (
        "pieces",
        "documents",
        "build s",
        "load s",
        "peak RSS MB",
        "seller p50 ms",
        "buyer p50 ms",
        "recall@10 seller / buyer",
        "search",
    ):
        out.add_column(column, justify="right")
    for row in result["rows"]:
        out.add_row(
            f"{row['pieces']:,}",
            f"{row['documents']:,}",
            f"{row['build_seconds']}",
            f"{row['load_seconds']}",
            f"{row['peak_rss_mb']:,.0f}",
            f"{row['seller']['p50_ms']}",
            f"{row['buyer']['p50_ms']}",
            f"{row['seller']['recall_at_10']} / {row['buyer']['recall_at_10']}",
            row["vector_search"],
        )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="keep each built library under this folder")
    parser.add_argument("--reuse", action="store_true", help="with --keep: measure a kept build again, not rebuild it")
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        root, pieces, seed, count = args.measure
        print(json.dumps(_measure(Path(root), int(pieces), int(seed), int(count))))
        return
    console = Console()
    result = run(args.sizes, queries=args.queries, seed=args.seed, keep=args.keep, reuse=args.reuse, console=console)
    console.print(table(result))
    for step in result["growth"]:
        console.print(f"growth {step['from']:,} -> {step['to']:,} (x{step['size_ratio']}): {step}")
    from benchmarks.run import machine

    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"part": "scale_library", "machine": machine(), "result": result}
    (RESULTS / "scale_library.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {RESULTS / 'scale_library.json'}")


if __name__ == "__main__":
    main()
