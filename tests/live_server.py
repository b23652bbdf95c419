"""A real `recommender serve` subprocess on a free loopback port, for the tests that call it over HTTP."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.load_bench import free_port, stop_server

__all__ = ["free_port", "server_env", "serving", "stop_server", "wait_ready"]

RECOMMENDER = Path(sys.executable).parent / "recommender"
START_SECONDS = 180


def server_env(**extra: str) -> dict[str, str]:
    """This process's environment without any RECOMMENDER_ setting, rate limits out of the way, then `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
    return {**env, "RECOMMENDER_API_RATE_PER_MINUTE": "1000000", "RECOMMENDER_API_RATE_BURST": "10000", **extra}


def wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/v1/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"the server was not ready within {START_SECONDS} s:\n{log.read_text()}")


@contextlib.contextmanager
def serving(index: Path | dict[str, Path], env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """Serve `index` (or several libraries, name -> index) until the block ends; yields the base URL and the
    port. The server's output goes to `log`."""
    port = free_port()
    where = (
        [f"--library={name}={root}" for name, root in index.items()]
        if isinstance(index, dict)
        else ["--index", str(index)]
    )
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(RECOMMENDER), "serve", "--port", str(port), *where],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log)
        yield url, port
    finally:
        stop_server(process)
