"""kill -9 while events arrive: every event the server acknowledged (200) is in the store afterwards.

A real `recommender serve` process takes signed events from four senders; once enough are
acknowledged it is killed with SIGKILL mid-stream, and the store is read back from disk.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from recommender.events.store import EventStore, events_path
from tests.live_server import RECOMMENDER, free_port, server_env, wait_ready
from tests.test_events import SECRET, event, signed

pytestmark = pytest.mark.slow
SENDERS = 4
KILL_AFTER = 80  # acknowledged events before the kill
DEADLINE_SECONDS = 120


def test_kill_9_while_events_arrive_loses_no_acknowledged_event(corpus_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(corpus_index, index, symlinks=True, ignore=shutil.ignore_patterns(".lock", "events"))
    port, log = free_port(), tmp_path / "server.log"
    env = server_env(RECOMMENDER_EVENTS_SECRETS=f"acme:{SECRET}")
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(RECOMMENDER), "serve", "--port", str(port), "--index", str(index)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    failed: list[str] = []
    killed = threading.Event()
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        wait_ready(url, process, log)

        def send(sender: int) -> None:
            with httpx.Client(base_url=url, timeout=10) as client:
                for n in range(100_000):
                    if time.monotonic() > deadline or (killed.is_set() and len(failed) > 20):
                        return
                    event_id = f"s{sender}-{n}"
                    body = json.dumps(event(event_id, deal_id=f"deal-{sender}", type="viewed", seconds=30)).encode()
                    try:
                        response = client.post("/v1/events", content=body, headers=signed(body))
                    except httpx.TransportError:
                        failed.append(event_id)
                        continue
                    if response.status_code == 200 and response.json()["stored"] == 1:
                        acknowledged.append(event_id)

        senders = [threading.Thread(target=send, args=(i,)) for i in range(SENDERS)]
        for thread in senders:
            thread.start()
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        killed.set()
        process.wait(timeout=30)
        for thread in senders:
            thread.join(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= KILL_AFTER and failed, "the kill must land while events are still arriving"
    stored = EventStore(events_path(index)).ids()
    print(f"kill -9: {len(acknowledged)} acknowledged, {len(stored)} stored, {len(failed)} refused after the kill")
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged event(s) lost: {sorted(missing)[:10]}"
