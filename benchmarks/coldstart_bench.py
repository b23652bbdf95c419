"""Cold start: wall time and peak memory of one `recommender recommend ...` process, from start to answer.

Each round starts fresh processes, in rotating order:
- the bare interpreter (`python -c pass`) and the imports every command needs
  (`python -c "import recommender.cli"`);
- the encoder alone: a process that imports onnxruntime and tokenizers, loads the index's own
  encoder and embeds the query - the floor of a cold answer;
- the whole command (`recommender recommend --problem ... --index DIR --json`);
- two refusals that must come before anything heavy loads: a misspelt stage and a missing index.
Each process is started by a small launcher process that times it and reads its peak resident set
with `os.wait4` (a child forked straight from this benchmark would inherit the benchmark's own
high-water mark). The index is the sample corpus built with the default encoder (benchmarks/query_bench).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

PROBLEM = "our month-end close takes twelve days and auditors keep asking for reconciliation evidence"
LAUNCHER = """
import os, sys, time
report, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(command[0], command)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as out:
    out.write(f"{time.perf_counter() - start} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""
ENCODER_ONLY = """
import sys
from pathlib import Path
from indexer.onnx_embed import OnnxEmbedder
OnnxEmbedder(Path(sys.argv[1]).resolve() / "current" / "encoder", threads=1).embed_query(sys.argv[2])
"""


@dataclass(frozen=True)
class ColdStartResult:
    rounds: int
    interpreter_s: float
    imports_s: float
    encoder_only_s: float  # import onnxruntime + tokenizers, load the build's encoder, embed the query
    recommend_s: float  # the whole command, start to answer (medians over rounds)
    recommend_peak_mib: float
    encoder_only_peak_mib: float
    bad_stage_s: float  # `--stage evalution`: refused with "did you mean 'evaluation'?"
    missing_index_s: float
    seconds: dict[str, list[float]]
    peak_mib: dict[str, list[float]]


def commands(index: Path) -> dict[str, tuple[list[str], int]]:
    """Each measured process and the exit status it must end with."""
    python = sys.executable
    cli = str(Path(python).with_name("recommender"))
    ask = [cli, "recommend", "--problem", PROBLEM, "--role", "cfo", "--json"]
    return {
        "interpreter": ([python, "-c", "pass"], 0),
        "imports": ([python, "-c", "import recommender.cli"], 0),
        "encoder_only": ([python, "-c", ENCODER_ONLY, str(index), PROBLEM], 0),
        "recommend": ([*ask, "--stage", "evaluation", "--index", str(index)], 0),
        "bad_stage": ([*ask, "--stage", "evalution", "--index", str(index)], 1),
        "missing_index": ([*ask, "--index", str(index.parent / "no-such-index")], 1),
    }


def timed_run(command: list[str], *, expect: int = 0) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one process; raises when it ends with another status."""
    with tempfile.TemporaryDirectory() as tmp:
        report, errors = Path(tmp) / "report", Path(tmp) / "stderr"
        with errors.open("wb") as sink:
            subprocess.run(
                [sys.executable, "-c", LAUNCHER, str(report), *command],
                stdout=subprocess.DEVNULL,
                stderr=sink,
                check=True,
            )
        seconds, peak_kb, code = report.read_text().split()
        if int(code) != expect:
            raise RuntimeError(
                f"{' '.join(command[:3])} ended with {code}, not {expect}: {errors.read_text(errors='replace')[-500:]}"
            )
    return float(seconds), int(peak_kb) / 1024


def measure(index: Path, *, rounds: int = 5, log: Callable[[str], None] = print) -> ColdStartResult:
    from benchmarks.query_bench import prepare_index

    prepare_index(index)
    steps = commands(index)
    for command, expect in steps.values():  # once untimed, so every timed run finds the files in the page cache
        timed_run(command, expect=expect)
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    peaks: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            command, expect = steps[name]
            wall, peak = timed_run(command, expect=expect)
            seconds[name].append(round(wall, 3))
            peaks[name].append(round(peak, 1))
        log(
            f"  round {r + 1}: "
            + ", ".join(f"{n} {seconds[n][-1]:.2f}s" for n in names)
            + f"; recommend peak {peaks['recommend'][-1]:.0f} MiB"
        )
    median_s = {n: round(statistics.median(v), 3) for n, v in seconds.items()}
    median_mib = {n: round(statistics.median(v), 1) for n, v in peaks.items()}
    return ColdStartResult(
        rounds,
        median_s["interpreter"],
        median_s["imports"],
        median_s["encoder_only"],
        median_s["recommend"],
        median_mib["recommend"],
        median_mib["encoder_only"],
        median_s["bad_stage"],
        median_s["missing_index"],
        seconds,
        peaks,
    )


def run(index: Path, *, rounds: int = 5, log: Callable[[str], None] = print) -> dict:
    return asdict(measure(index, rounds=rounds, log=log))
