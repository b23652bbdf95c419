"""Fuzzing the indexer at volume, and the hostile files of issue 14 timed one by one.

    python -m benchmarks.fuzz_index [--cases N] [--seed S] [--out FILE]

Part 1 runs N (default 5,000) hypothesis-generated libraries through what a build reads - discovery,
then every file (tests/fuzz_library.py: generated markdown and front matter with nasty YAML, generated
file names, and file kinds: empty, binary, not UTF-8, over the size cap, FIFOs, links inside and out of
the library, links to /dev/zero, dangling links, folders named like markdown). Every case must index
each file or report it; an exception, a hang (over 20 s) or an unreported file stops the run with the
shrunk failing case. It prints the count and the outcomes: files indexed, skipped, warned, and why.

Part 2 times the named hostile cases against reading one ordinary file in the same run (the floor):
the alias bomb, a 50 MB file, a FIFO, a link to /dev/zero, a link out of the library. Each must be
refused with a clear message; the medians and the ratios to the floor are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from rich.console import Console
from rich.table import Table

from indexer.documents import read_document
from indexer.sources import DEFAULT_MAX_FILE_BYTES, SourceFile, discover
from indexer.vocabulary import Vocabulary
from tests.fuzz_library import FuzzFile, Outcome, check_library, libraries, materialise
from tests.test_parse import alias_bomb

DEFAULT_OUT = Path("benchmarks/results/fuzz_index.json")
ROUNDS = 7


def fuzz(cases: int, seed_value: int) -> dict[str, object]:
    """Run `cases` generated libraries; raises (with hypothesis's shrunk example) on the first failure."""
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    seconds: list[float] = []

    @seed(seed_value)
    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(libraries)
    def one(files: list[FuzzFile]) -> None:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            outside = Path(tmp) / "outside.md"
            outside.write_text("# Outside\n\nnot part of the library\n", encoding="utf-8")
            materialise(files, Path(tmp) / "library", outside)
            outcome: Outcome = check_library(files, Path(tmp) / "library")
        seconds.append(time.perf_counter() - started)
        totals.update(cases=1, files=len(files), indexed=outcome.documents, skipped=outcome.skipped)
        totals.update(warnings=outcome.warnings)
        reasons.update(outcome.reasons)
        kinds.update(f.kind for f in files)

    one()
    return {
        "cases": totals["cases"],
        "files": totals["files"],
        "indexed": totals["indexed"],
        "skipped": totals["skipped"],
        "warnings": totals["warnings"],
        "failures": 0,
        "median_case_ms": round(statistics.median(seconds) * 1000, 2),
        "max_case_ms": round(max(seconds) * 1000, 1),
        "kinds": dict(kinds.most_common()),
        "reasons": dict(reasons.most_common(25)),
    }


def hostile_cases(folder: Path) -> dict[str, dict[str, object]]:
    """Each named hostile file read as a build reads it: median seconds, ratio to an ordinary file, the message."""
    folder.mkdir()
    (folder / "ordinary.md").write_text("---\nid: ok\naudience: buyer\n---\n# Ordinary\n\nA short page.\n", "utf-8")
    (folder / "bomb.md").write_text(alias_bomb(), encoding="utf-8")
    with (folder / "huge.md").open("w", encoding="utf-8") as handle:
        handle.write("# Huge\n\n" + ("fifty megabytes of words " * 40 + "\n") * 50_000)
    os.mkfifo(folder / "pipe.md")
    os.symlink("/dev/zero", folder / "zero.md")
    os.symlink("/etc/passwd", folder / "passwd.md")
    out: dict[str, dict[str, object]] = {}
    floor = _median(lambda: _read(folder, "ordinary.md"))
    for name in ["ordinary.md", "bomb.md", "huge.md", "pipe.md", "zero.md", "passwd.md"]:
        median = _median(lambda name=name: _read(folder, name))  # type: ignore[misc]
        out[name] = {
            "bytes": _size(folder / name),
            "median_ms": round(median * 1000, 3),
            "ratio_to_ordinary": round(median / floor, 2),
            "outcome": _read(folder, name),
        }
    return out


def _read(folder: Path, name: str) -> str:
    """What a build makes of one file: discovery's verdict on it, then reading it."""
    files, issues = discover([folder])
    found = [f for f in files if f.rel_path == name]
    problems = [i.what for i in issues if i.path == name]
    if not found:
        return "skipped: " + "; ".join(problems)
    source: SourceFile = found[0]
    document, read_issues = read_document(source, Vocabulary(), max_bytes=DEFAULT_MAX_FILE_BYTES)
    if document is None:
        return "skipped: " + "; ".join(i.what for i in read_issues)
    return f"indexed as '{document.meta.id}'" + "".join(f"; warning: {i.what}" for i in read_issues)


def _median(run: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _size(path: Path) -> int:
    return path.lstat().st_size if path.is_symlink() else path.stat().st_size


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz_index", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=5000, help="generated libraries to run (default 5000)")
    parser.add_argument("--seed", type=int, default=14, help="hypothesis seed, for a repeatable run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    console = Console()
    started = time.perf_counter()
    result = fuzz(args.cases, args.seed)
    fuzz_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        named = hostile_cases(Path(tmp) / "hostile")
    _print(console, result, named, fuzz_seconds)
    report = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}",
        "seed": args.seed,
        "fuzz_seconds": round(fuzz_seconds, 1),
        "fuzz": result,
        "hostile": named,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    console.print(f"written to {args.out}")


def _print(console: Console, result: dict[str, object], named: dict[str, dict[str, object]], seconds: float) -> None:
    console.print(
        f"fuzz: {result['cases']} cases, {result['files']} files in {seconds:.0f} s: {result['indexed']} indexed, "
        f"{result['skipped']} skipped with a reason, {result['warnings']} warnings, {result['failures']} failures "
        f"(no crash, hang or unreported file); median case {result['median_case_ms']} ms, "
        f"slowest {result['max_case_ms']} ms"
    )
    console.print(f"file kinds: {result['kinds']}")
    table = Table("reason (first words)", "count", title="Problems reported")
    for reason, count in result["reasons"].items():  # type: ignore[attr-defined]
        table.add_row(reason, str(count))
    console.print(table)
    hostile = Table("file", "bytes", "median ms", "x ordinary", "outcome", title="Hostile files, one by one")
    for name, row in named.items():
        hostile.add_row(
            name, str(row["bytes"]), str(row["median_ms"]), str(row["ratio_to_ordinary"]), str(row["outcome"])
        )
    console.print(hostile)


if __name__ == "__main__":
    main()
