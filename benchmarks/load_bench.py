"""Load: the HTTP API's latency and throughput at concurrency 1 and 8, next to its floor, in one run.

    python -m benchmarks.load_bench [--index DIR] [--requests 150] [--seconds 90] [--json FILE]

The requests are the labelled buyer scenarios (tests/data/scenarios.yaml) sent as
POST /v1/recommendations with a buyer key to a real `recommender serve` on a free 127.0.0.1 port
(nothing else is ever called). The floor is what no answer can avoid, measured in this process in
the same run: embedding the request's problems and one FAISS search per problem
(benchmarks/query_bench.floor). At concurrency 1 every request is timed next to its floor,
alternating which goes first, so both see the same machine; at concurrency 8, 8 clients share the
same number of requests. Every level is bounded in requests and in seconds. Reported: p50 and p99
latency, requests per second, and p50 / floor p50 (the goal: within 1.5 at concurrency 1).
The floor embeds with the index's own encoder on one thread, as `recommender serve` does.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.query_bench import SCENARIOS, floor, prepare_index, requests_from
from indexer.settings import Settings
from recommender.api.keys import new_key
from recommender.service import Recommender

HOST = "127.0.0.1"
BENCH_INDEX = Path(".recommender/bench/corpus-index")


@dataclass(frozen=True)
class Level:
    name: str
    requests: int
    p50_ms: float
    p99_ms: float
    rps: float
    ratio_p50: float  # p50 / floor p50


def open_index(index: Path) -> Recommender:
    prepare_index(index)
    return Recommender.open(Settings(index=index))  # the index's own encoder, on one thread, as the server loads it


def floor_step(recommender: Recommender) -> Callable[[dict[str, Any]], None]:
    embedder, k = recommender.retriever.embedder, recommender.retriever.fusion.candidates
    return lambda body: floor(recommender, embedder, body["problems"], k)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    index: Path,
    port: int,
    log: Path,
    *,
    extra: dict[str, str],
    recommender: Path = Path(sys.executable).parent / "recommender",
    inherit_settings: bool = True,
) -> subprocess.Popen:
    """`recommender serve` on HOST:`port` with rate limits out of the way and `extra` settings, once it is ready.

    `inherit_settings=False` drops this process's RECOMMENDER_ variables, so only `extra` configures it.
    """
    base = {k: v for k, v in os.environ.items() if inherit_settings or not k.startswith("RECOMMENDER_")}
    env = {**base, "RECOMMENDER_API_RATE_PER_MINUTE": "1000000", "RECOMMENDER_API_RATE_BURST": "100000", **extra}
    command = [str(recommender), "serve", "--host", HOST, "--port", str(port), "--index", str(index)]
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://{HOST}:{port}/v1/ready", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.25)
    process.kill()
    raise SystemExit(f"the server did not become ready:\n{log.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    """Ask the server to stop; kill it when it has not within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def run_interleaved(
    url: str,
    secret: str,
    bodies: Sequence[dict[str, Any]],
    step: Callable[[dict[str, Any]], None],
    *,
    count: int,
    seconds: float,
) -> tuple[list[float], list[float]]:
    """Concurrency 1: each request over HTTP and its floor in process, one after the other, alternating which
    goes first."""
    floor_times: list[float] = []
    http_times: list[float] = []
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as http:
        for number in range(count):
            if time.monotonic() > deadline:
                break
            body = bodies[number % len(bodies)]
            pair = [
                (floor_times, lambda body=body: step(body)),
                (http_times, lambda body=body: http.post("/v1/recommendations", json=body).raise_for_status()),
            ]
            for times, call in pair if number % 2 == 0 else reversed(pair):
                start = time.perf_counter()
                call()
                times.append((time.perf_counter() - start) * 1000)
    return floor_times, http_times


def run_concurrent(
    url: str, secret: str, bodies: Sequence[dict[str, Any]], *, concurrency: int, count: int, seconds: float
) -> tuple[list[float], float]:
    """Latencies (ms) of up to `count` requests sent by `concurrency` clients within `seconds`, and the wall time."""
    latencies: list[float] = []
    lock, counter = threading.Lock(), iter(range(count))
    deadline = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as http:
            while time.monotonic() < deadline:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                start = time.perf_counter()
                http.post("/v1/recommendations", json=bodies[number % len(bodies)]).raise_for_status()
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(client) for _ in range(concurrency)]:
            future.result()
    return latencies, time.perf_counter() - started


def summarise(name: str, times: Sequence[float], wall: float, floor_p50: float) -> Level:
    p50, p99 = float(np.percentile(times, 50)), float(np.percentile(times, 99))
    return Level(name, len(times), round(p50, 2), round(p99, 2), round(len(times) / wall, 1), round(p50 / floor_p50, 2))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index",
        type=Path,
        default=BENCH_INDEX,
        help="index folder (the sample corpus is indexed into it, incrementally)",
    )
    parser.add_argument("--requests", type=int, default=150, help="requests per concurrency level")
    parser.add_argument("--seconds", type=float, default=90.0, help="time bound per concurrency level")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    bodies = [r.model_dump(mode="json") for r in requests_from(SCENARIOS)]
    step = floor_step(open_index(args.index))
    secret = new_key("load-bench", ["buyer"])
    port = free_port()
    log = args.index.parent / "load-bench-server.log"
    server = start_server(args.index, port, log, extra={"RECOMMENDER_API_KEYS": secret.key.line()})
    try:
        url = f"http://{HOST}:{port}"
        run_interleaved(url, secret.secret, bodies, step, count=20, seconds=30)  # warm up both paths
        floor_times, single = run_interleaved(
            url, secret.secret, bodies, step, count=args.requests, seconds=args.seconds
        )
        eight, wall = run_concurrent(
            url, secret.secret, bodies, concurrency=8, count=args.requests, seconds=args.seconds
        )
    finally:
        stop_server(server)
    floor_p50 = float(np.percentile(floor_times, 50))
    levels = [
        summarise("floor (in process)", floor_times, sum(floor_times) / 1000, floor_p50),
        summarise("HTTP concurrency 1", single, sum(single) / 1000, floor_p50),
        summarise("HTTP concurrency 8", eight, wall, floor_p50),
    ]
    result = {
        "scenarios": len(bodies),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "levels": [asdict(x) for x in levels],
    }
    print(_table(levels, result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def _table(levels: Sequence[Level], result: dict[str, Any]) -> str:
    lines = [
        f"load benchmark: {result['scenarios']} scenario requests, {result['cpus']} CPUs, "
        f"load average {result['load_average']}",
        f"{'':34}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>8}{'p50/floor':>11}",
    ]
    lines += [
        f"{x.name:34}{x.requests:>9}{x.p50_ms:>9.1f}{x.p99_ms:>9.1f}{x.rps:>8.1f}{x.ratio_p50:>11.2f}" for x in levels
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
