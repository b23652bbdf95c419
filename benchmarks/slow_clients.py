"""Slow clients: does a legitimate request still get its answer while many connections hang half-open?

    python -m benchmarks.slow_clients [--connections 100,500] [--requests 20] [--index DIR]
                                      [--recommender PATH] [--json FILE]

It starts a real `recommender serve` on a free 127.0.0.1 port (the index as load_bench builds it),
then, for each number of connections N and each kind of attack:

- idle: N connections each send a partial request (the request line and one header) and wait;
- slowloris: the same, then every connection trickles one more header byte about every second.

The attacking connections come from 127.0.1.x source addresses, 10 per address, so that a
per-client connection cap does not simply refuse them: the server really holds all N. While they
are held, a legitimate client (from 127.0.0.1, a new connection per request) sends
POST /v1/recommendations with a buyer key; its latency (median, max) and status codes are reported
next to the same requests with no attack, measured in the same run. Then the benchmark waits for
the server's header timeout and counts the attacking connections it closed (answered 408 or closed).
A last row, one-address, sends N idle connections all from 127.0.2.1: the per-client cap's case,
where "held" shows how many the server kept open (it refuses the rest with 503 at once).

`--recommender` runs another install's `recommender` (e.g. an unchanged checkout) to measure before
and after with the same client.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.load_bench import HOST, free_port, start_server, stop_server
from benchmarks.query_bench import prepare_index
from recommender.api.keys import new_key

BENCH_INDEX = Path(".recommender/bench/corpus-index")
RECOMMENDER = Path(sys.executable).parent / "recommender"
BODY = {"problems": ["month-end close takes twelve days"], "max_items": 3}
PARTIAL = b"POST /v1/recommendations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Waiting: "
PER_ADDRESS = 10
HEADER_TIMEOUT = 10.0  # the server's default api_header_timeout_seconds


@dataclass(frozen=True)
class Row:
    attack: str
    connections: int
    held_at_start: int
    requests: int
    p50_ms: float
    max_ms: float
    statuses: dict[str, int]
    closed_by_server: int | None  # attacking connections the server had closed after its header timeout


@contextmanager
def serving(recommender: Path, index: Path, port: int, extra: dict[str, str], log: Path) -> Iterator[str]:
    """The server configured by `extra` alone (none of this process's RECOMMENDER_ settings), until the block ends."""
    process = start_server(index, port, log, extra=extra, recommender=recommender, inherit_settings=False)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        stop_server(process)


def open_half(port: int, count: int, *, spread: bool) -> list[socket.socket]:
    """`count` connections that sent a partial request: from 127.0.1.x (10 each) when `spread`, else from 127.0.2.1."""
    sockets = []
    for number in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if spread:
            sock.bind((f"127.0.1.{1 + (number // PER_ADDRESS) % 250}", 0))
        else:
            sock.bind(("127.0.2.1", 0))
        sock.settimeout(5)
        try:
            sock.connect((HOST, port))
            sock.sendall(PARTIAL)
        except OSError:
            sock.close()
            continue
        sockets.append(sock)
    return sockets


def still_open(sockets: Sequence[socket.socket]) -> int:
    """How many of `sockets` the server has not closed (nor answered): a read finds nothing waiting."""
    held = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            sock.recv(1, socket.MSG_PEEK)  # an answer (408, 503) or b"" (closed): not held any more
        except BlockingIOError:
            held += 1  # nothing to read: still open and waiting
        except OSError:
            pass
        finally:
            sock.setblocking(True)
    return held


def trickle(sockets: Sequence[socket.socket], stop: threading.Event) -> None:
    """One more header byte on every connection, about every second, until `stop`."""
    while not stop.wait(1.0):
        for sock in sockets:
            with suppress(OSError):
                sock.send(b"a")


def legitimate(url: str, secret: str, count: int) -> tuple[list[float], Counter[str]]:
    """`count` recommendations, each on a new connection; latencies in ms and status counts."""
    times, statuses = [], Counter[str]()
    headers = {"Authorization": f"Bearer {secret}"}
    for _ in range(count):
        started = time.perf_counter()
        try:
            with httpx.Client(timeout=15) as client:
                status = str(client.post(f"{url}/v1/recommendations", json=BODY, headers=headers).status_code)
        except httpx.TransportError as exc:
            status = type(exc).__name__
        times.append((time.perf_counter() - started) * 1000)
        statuses[status] += 1
    return times, statuses


def measure(
    url: str, port: int, secret: str, *, attack: str, connections: int, requests: int, header_timeout: float
) -> Row:
    sockets = open_half(port, connections, spread=attack != "one-address") if connections else []
    stop = threading.Event()
    ticker = threading.Thread(target=trickle, args=(sockets, stop), daemon=True)
    if attack == "slowloris":
        ticker.start()
    try:
        time.sleep(0.5)  # let the server accept them all
        held = still_open(sockets)
        times, statuses = legitimate(url, secret, requests)
        closed = None
        if sockets:
            time.sleep(header_timeout + 2)
            closed = len(sockets) - still_open(sockets)
    finally:
        stop.set()
        if ticker.is_alive():
            ticker.join(timeout=5)
        for sock in sockets:
            sock.close()
    return Row(
        attack,
        connections,
        held,
        requests,
        statistics.median(times),
        max(times),
        dict(statuses),
        closed,
    )


def run(
    recommender: Path, index: Path, counts: Sequence[int], requests: int, header_timeout: float, env: dict[str, str]
) -> list[Row]:
    prepare_index(index)
    made = new_key("slow-bench", ["buyer"])
    rows = []
    log = Path(".recommender/bench/slow_clients.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with serving(recommender, index, port, {"RECOMMENDER_API_KEYS": made.key.line(), **env}, log) as url:
        legitimate(url, made.secret, 3)  # warm up
        plan = [("none", 0)] + [(attack, n) for n in counts for attack in ("idle", "slowloris")]
        plan.append(("one-address", max(counts)))
        for attack, n in plan:
            row = measure(
                url, port, made.secret, attack=attack, connections=n, requests=requests, header_timeout=header_timeout
            )
            print(_line(row), flush=True)
            rows.append(row)
    return rows


def _line(row: Row) -> str:
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(row.statuses.items()))
    closed = "-" if row.closed_by_server is None else f"{row.closed_by_server}/{row.connections}"
    return (
        f"{row.attack:<12}{row.connections:>6}{row.held_at_start:>7}{row.p50_ms:>10.1f}{row.max_ms:>10.1f}"
        f"   {statuses:<24}{closed:>12}"
    )


HEADER = f"{'attack':<12}{'conns':>6}{'held':>7}{'p50 ms':>10}{'max ms':>10}   {'statuses':<24}{'closed':>12}"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.slow_clients", description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", default="100,500", help="numbers of half-open connections (default 100,500)")
    parser.add_argument("--requests", type=int, default=20, help="legitimate requests per row (default 20)")
    parser.add_argument("--index", type=Path, default=BENCH_INDEX)
    parser.add_argument("--recommender", type=Path, default=RECOMMENDER, help="the recommender command to serve with")
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=HEADER_TIMEOUT,
        help="the server's header timeout: how long to wait before counting closed connections",
    )
    parser.add_argument(
        "--env", action="append", default=[], help="RECOMMENDER_X=VALUE for the server (repeatable), e.g. another limit"
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.connections.split(",") if c.strip()]
    env = dict(item.split("=", 1) for item in args.env)
    print(
        f"slow clients: {args.recommender} serve {' '.join(args.env)}, {args.requests} legitimate requests per row, "
        f"{os.cpu_count()} CPUs, load average {[round(x, 2) for x in os.getloadavg()]}"
    )
    print(HEADER)
    rows = run(args.recommender, args.index, counts, args.requests, args.header_timeout, env)
    result = {"recommender": str(args.recommender), "env": env, "rows": [asdict(r) for r in rows]}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
