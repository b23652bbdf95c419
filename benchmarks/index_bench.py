"""Indexing throughput next to the bare model encode of the same texts.

    python -m benchmarks.index_bench [--rounds N] [--out FILE] [--corpus DIR] [--batch-size B]

Embedding dominates an index build, so the useful question is what the indexer adds on top of
it: reading, parsing, validating, chunking, token counting, caching, writing and publishing (now
with a copy of the encoder in the build). Each round times a full, uncached build of the corpus
into a fresh folder, and `embedder.embed` of exactly the texts that build embeds (same order, same
batch size), in the same process, the two interleaved and their order alternated. The encoder is
the default one (ONNX Runtime, exported once before the rounds). The result is the median of each
and the ratio indexer time / encode time; the goal is a ratio of at most 1.10. For context, the
same texts are also encoded once by sentence-transformers on torch (the encoder indexing used before).

The corpus is copied first, so edits to it during the run cannot change what is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from indexer.build import BuildOptions, BuildSummary, build_index, embedded_texts
from indexer.cache import text_hash
from indexer.embed import Embedder, load_embedder
from indexer.encoders import indexing_encoder
from indexer.settings import Settings
from indexer.vocabulary import Vocabulary

GOAL_RATIO = 1.10
DEFAULT_OUT = Path("benchmarks/results/index.json")
EXPORTS = Path(".recommender/bench/encoders")


@dataclass(frozen=True)
class IndexBenchResult:
    corpus: str
    documents: int
    pieces: int
    texts_embedded: int
    batch_size: int
    rounds: int
    model: str
    encoder: str  # runtime and precision of the encoder that indexed
    machine: str
    indexer_seconds: list[float]
    encode_seconds: list[float]
    indexer_median_seconds: float
    encode_median_seconds: float
    indexer_texts_per_second: float  # texts embedded (pieces and sentences) per second
    encode_texts_per_second: float
    ratio: float
    round_ratios: list[float]  # indexer / encode within each round: the spread shows how noisy the machine was
    torch_encode_seconds: float  # the same texts through sentence-transformers on torch, once, for comparison
    goal_ratio: float
    meets_goal: bool
    load_average: list[float]  # 1-minute load at the start and the end; above the CPU count the numbers are noisy
    measured_at: str


def texts_embedded_by_a_build(
    corpus: Path, work: Path, embedder: Embedder, batch_size: int
) -> tuple[BuildSummary, list[str]]:
    """Build once (which also warms the model up) and return the distinct texts that build embedded."""
    options = BuildOptions(index=work / "probe", batch_size=batch_size)
    summary = build_index([corpus], options=options, embedder=embedder, vocabulary=Vocabulary())
    texts = list(dict.fromkeys(embedded_texts([corpus], options=options, embedder=embedder, vocabulary=Vocabulary())))
    cached = _cached_hashes(options.index)
    if len(texts) != summary.texts_embedded or {text_hash(t) for t in texts} != cached:
        raise SystemExit("the texts to encode differ from what the build embedded; the comparison would be unfair")
    return summary, texts


def _cached_hashes(index: Path) -> set[str]:
    db = sqlite3.connect(index / "cache" / "embeddings.sqlite")
    try:
        return {row[0] for row in db.execute("SELECT hash FROM vectors")}
    finally:
        db.close()


def time_build(corpus: Path, index: Path, embedder: Embedder, batch_size: int, expected_embedded: int) -> float:
    started = time.perf_counter()
    summary = build_index(
        [corpus], options=BuildOptions(index=index, batch_size=batch_size), embedder=embedder, vocabulary=Vocabulary()
    )
    seconds = time.perf_counter() - started
    embedded = summary.texts_embedded
    if embedded != expected_embedded:
        raise SystemExit(f"a fresh build embedded {embedded} texts, expected {expected_embedded}: it was not uncached")
    return seconds


def time_encode(texts: Sequence[str], embedder: Embedder, batch_size: int) -> float:
    started = time.perf_counter()
    embedder.embed(texts, batch_size=batch_size)
    return time.perf_counter() - started


def measure(corpus: Path, *, rounds: int, batch_size: int, console: Console) -> IndexBenchResult:
    load_before = os.getloadavg()[0]
    embedder = indexing_encoder(Settings(), exports=EXPORTS)
    with tempfile.TemporaryDirectory(prefix="index-bench-") as tmp:
        work = Path(tmp)
        copy = work / "corpus"
        shutil.copytree(corpus, copy)
        summary, texts = texts_embedded_by_a_build(copy, work, embedder, batch_size)
        console.print(
            f"{summary.documents} documents, {summary.pieces} pieces, "
            f"{len(texts)} distinct texts to embed; {rounds} rounds"
        )
        indexer_s: list[float] = []
        encode_s: list[float] = []
        for r in range(rounds):
            fresh = work / f"round-{r}"
            steps = [
                ("index", lambda: time_build(copy, fresh, embedder, batch_size, len(texts))),  # noqa: B023 (called in this iteration)
                ("encode", lambda: time_encode(texts, embedder, batch_size)),
            ]
            for name, step in steps if r % 2 == 0 else reversed(steps):
                seconds = step()
                (indexer_s if name == "index" else encode_s).append(seconds)
                console.print(f"  round {r + 1}: {name:<6} {seconds:7.2f} s")
            shutil.rmtree(fresh, ignore_errors=True)
        torch_s = time_encode(texts, load_embedder(None), batch_size)
        console.print(f"  torch encode of the same texts, once: {torch_s:.2f} s")
    return _result(
        corpus, summary, texts, embedder, batch_size, indexer_s, encode_s, torch_s, [load_before, os.getloadavg()[0]]
    )


def _result(
    corpus: Path,
    summary: BuildSummary,
    texts: Sequence[str],
    embedder: Embedder,
    batch_size: int,
    indexer_s: list[float],
    encode_s: list[float],
    torch_s: float,
    load: list[float],
) -> IndexBenchResult:
    indexer_median = statistics.median(indexer_s)
    encode_median = statistics.median(encode_s)
    ratio = indexer_median / encode_median
    return IndexBenchResult(
        corpus=str(corpus),
        documents=summary.documents,
        pieces=summary.pieces,
        texts_embedded=len(texts),
        batch_size=batch_size,
        rounds=len(indexer_s),
        model=embedder.model_id,
        encoder=f"{embedder.runtime} {embedder.precision}",
        machine=(
            f"{platform.machine()}, {os.cpu_count()} CPUs, "
            f"{platform.python_implementation()} {platform.python_version()}"
        ),
        indexer_seconds=[round(s, 3) for s in indexer_s],
        encode_seconds=[round(s, 3) for s in encode_s],
        indexer_median_seconds=round(indexer_median, 3),
        encode_median_seconds=round(encode_median, 3),
        indexer_texts_per_second=round(len(texts) / indexer_median, 1),
        encode_texts_per_second=round(len(texts) / encode_median, 1),
        ratio=round(ratio, 3),
        round_ratios=[round(i / e, 3) for i, e in zip(indexer_s, encode_s)],
        torch_encode_seconds=round(torch_s, 3),
        goal_ratio=GOAL_RATIO,
        meets_goal=ratio <= GOAL_RATIO,
        load_average=[round(x, 2) for x in load],
        measured_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


def table(result: IndexBenchResult) -> Table:
    out = Table(
        title=(
            f"Indexing vs bare encode - {result.pieces} pieces, "
            f"batch size {result.batch_size}, median of {result.rounds}"
        )
    )
    out.add_column("what")
    out.add_column("median s", justify="right")
    out.add_column("texts/s", justify="right")
    out.add_row(
        "indexer: full uncached build", f"{result.indexer_median_seconds:.2f}", f"{result.indexer_texts_per_second:.1f}"
    )
    out.add_row(
        f"encode of the same texts ({result.encoder})",
        f"{result.encode_median_seconds:.2f}",
        f"{result.encode_texts_per_second:.1f}",
    )
    out.add_row(
        "torch encode of the same texts (once)",
        f"{result.torch_encode_seconds:.2f}",
        f"{result.texts_embedded / result.torch_encode_seconds:.1f}",
    )
    verdict = "[green]meets[/]" if result.meets_goal else "[red]misses[/]"
    out.add_row("ratio indexer / encode", f"{result.ratio:.3f}", f"goal <= {result.goal_ratio:.2f}: {verdict}")
    out.caption = (
        f"per-round ratios {', '.join(f'{r:.2f}' for r in result.round_ratios)}; "
        f"load average {result.load_average[0]:.1f} -> {result.load_average[1]:.1f} on {os.cpu_count()} CPUs"
    )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.index_bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON result file (default {DEFAULT_OUT})")
    parser.add_argument(
        "--corpus", type=Path, default=Path("corpus"), help="markdown folder to index (default corpus/)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=BuildOptions.batch_size,
        help="embedding batch size for both (default: the build's)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    console = Console()
    result = measure(args.corpus, rounds=args.rounds, batch_size=args.batch_size, console=console)
    console.print(table(result))
    console.print(
        f"Goal: indexer time <= {GOAL_RATIO:.2f} x the bare encode of the same texts; measured {result.ratio:.3f}."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
