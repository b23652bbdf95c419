"""Cold start: wall time of one `recommender recommend ...` process, from start to answer.

Each round starts three fresh processes, in rotating order: the bare interpreter
(`python -c pass`), the imports the command needs (`python -c "import recommender.cli"`), and
the whole command (`recommender recommend --problem ... --index DIR --json`), so the table shows
where the time goes: interpreter, imports, then loading the model and index and answering.
The index is the sample corpus, built by the query benchmark (or here, when it is missing).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from indexer.build import BuildOptions, build_index
from indexer.embed import load_embedder
from indexer.store import CURRENT
from indexer.vocabulary import Vocabulary

PROBLEM = "our month-end close takes twelve days and auditors keep asking for reconciliation evidence"


@dataclass(frozen=True)
class ColdStartResult:
    rounds: int
    interpreter_s: float
    imports_s: float
    recommend_s: float  # the whole command, start to answer (medians over rounds)
    seconds: dict[str, list[float]]


def commands(index: Path) -> dict[str, list[str]]:
    python = sys.executable
    cli = str(Path(python).with_name("recommender"))
    return {
        "interpreter": [python, "-c", "pass"],
        "imports": [python, "-c", "import recommender.cli"],
        "recommend": [cli, "recommend", "--problem", PROBLEM, "--stage", "evaluation", "--role", "cfo", "--index", str(index), "--json"],
    }


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds


def measure(index: Path, *, rounds: int = 5, log: Callable[[str], None] = print) -> ColdStartResult:
    if not (index / CURRENT).exists():
        build_index([Path("corpus")], options=BuildOptions(index=index), embedder=load_embedder(None), vocabulary=Vocabulary())
    steps = commands(index)
    _time(steps["recommend"])  # one untimed run, so every timed run finds the files in the page cache
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(rounds):
        for name in names[r % 3 :] + names[: r % 3]:
            seconds[name].append(round(_time(steps[name]), 3))
        log(f"  round {r + 1}: " + ", ".join(f"{n} {seconds[n][-1]:.2f}s" for n in names))
    median = {n: round(statistics.median(v), 3) for n, v in seconds.items()}
    return ColdStartResult(rounds, median["interpreter"], median["imports"], median["recommend"], seconds)


def run(index: Path, *, rounds: int = 5, log: Callable[[str], None] = print) -> dict:
    return asdict(measure(index, rounds=rounds, log=log))
