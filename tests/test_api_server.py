"""The real server: `recommender serve` as a subprocess on a free loopback port, called over HTTP.

Includes a reload while requests are running: every request must succeed, those in flight on the
old build and the later ones on the new build. Every loop is bounded in count and in time.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from indexer.embed import Embedder
from recommender.api.keys import NewKey, new_key
from tests.live_server import RECOMMENDER, free_port, server_env, serving
from tests.test_api import auth, publish_tiny_corpus

pytestmark = pytest.mark.slow
ROOM = "https://room.acme.example"  # the deal room allowed to call the server from a browser
BODY = {"problems": ["month-end close takes twelve days", "auditors want reconciliation evidence"], "max_items": 3}


@dataclass(frozen=True)
class Server:
    url: str
    index: Path
    log: Path
    keys: dict[str, NewKey]


@pytest.fixture(scope="module")
def server(corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    index = folder / "index"
    shutil.copytree(corpus_index, index, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    keys = {"buyer": new_key("deal-room", ["buyer"]), "admin": new_key("ops", ["admin"])}
    env = server_env(
        RECOMMENDER_API_KEYS=" ".join(k.key.line() for k in keys.values()), RECOMMENDER_API_CORS_ORIGINS=ROOM
    )
    with serving(index, env, folder / "server.log") as (url, _):
        yield Server(url, index, folder / "server.log", keys)


def test_the_server_answers_over_http_and_logs_the_request_id(server: Server) -> None:
    response = httpx.post(f"{server.url}/v1/recommendations", json=BODY, headers=auth(server.keys["buyer"]), timeout=30)
    assert response.status_code == 200 and response.json()["items"]
    assert httpx.post(f"{server.url}/v1/recommendations", json=BODY, timeout=10).status_code == 401
    assert httpx.get(f"{server.url}/docs", timeout=10).status_code == 200
    request_id = response.headers["X-Request-ID"]
    deadline = time.monotonic() + 10
    while request_id not in server.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = next(line for line in server.log.read_text().splitlines() if request_id in line)
    assert "POST /v1/recommendations 200" in line and "key=deal-room" in line


def test_a_deal_room_browser_may_call_it_and_another_origin_may_not(server: Server) -> None:
    asking = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    allowed = httpx.options(f"{server.url}/v1/recommendations", headers={"Origin": ROOM, **asking}, timeout=10)
    assert allowed.status_code == 200 and allowed.headers["Access-Control-Allow-Origin"] == ROOM
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    other = httpx.options(
        f"{server.url}/v1/recommendations", headers={"Origin": "https://evil.example", **asking}, timeout=10
    )
    assert other.status_code == 400 and "Access-Control-Allow-Origin" not in other.headers
    answer = httpx.post(
        f"{server.url}/v1/recommendations",
        json=BODY,
        headers={"Origin": ROOM, **auth(server.keys["buyer"])},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == ROOM


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OPERATIONS = ("/v1/recommendations", "/v1/ask", "/v1/content", "/v1/health", "/v1/ready", "/v1/index/reload")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_render_in_a_browser_that_can_reach_nothing_else(server: Server, page: str, tmp_path: Path) -> None:
    dom = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no CDN could answer
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=20000",
            "--dump-dom",
            f"{server.url}{page}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    missing = [path for path in OPERATIONS if path not in dom]
    assert not missing, f"{page} did not render {missing}"


def test_a_reload_while_requests_run_drops_none(server: Server, tmp_path: Path, embedder: Embedder) -> None:
    old = httpx.get(f"{server.url}/v1/ready", timeout=10).json()["build_id"]
    results: list[tuple[int, str]] = []
    stop = threading.Event()
    deadline = time.monotonic() + 120

    def keep_asking() -> None:
        with httpx.Client(base_url=server.url, headers=auth(server.keys["buyer"]), timeout=60) as client:
            for _ in range(300):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                response = client.post("/v1/recommendations", json=BODY)
                results.append((response.status_code, response.json().get("index", {}).get("build_id", "")))

    workers = [threading.Thread(target=keep_asking) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        while len(results) < 4 and time.monotonic() < deadline:  # requests are running on the old build
            time.sleep(0.05)
        new = publish_tiny_corpus(server.index, tmp_path / "tiny", embedder)
        reload = httpx.post(f"{server.url}/v1/index/reload", headers=auth(server.keys["admin"]), timeout=60)
        answered_before = len(results)
        while len(results) < answered_before + 8 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=90)
    assert reload.status_code == 200 and reload.json()["changed"] is True and reload.json()["build_id"] == new
    assert results and all(status == 200 for status, _ in results), results
    assert {build for _, build in results} == {old, new}, "requests ran on the old build, then on the new one"
    assert results[-1][1] == new
    assert httpx.get(f"{server.url}/v1/ready", timeout=10).json()["build_id"] == new


def test_without_keys_it_refuses_a_public_address_and_says_how_to_fix_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(RECOMMENDER), "serve", "--host", "0.0.0.0", "--port", str(free_port()), "--index", str(tmp_path)],
        capture_output=True,
        text=True,
        env=server_env(COLUMNS="200"),
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "loopback" in done.stderr and "recommender keys create" in done.stderr


def test_without_keys_it_starts_on_loopback_and_says_so(tmp_path: Path) -> None:
    log = tmp_path / "open.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(RECOMMENDER), "serve", "--port", str(free_port()), "--index", str(tmp_path / "none")],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=server_env(COLUMNS="200"),
        )
    try:
        process.wait(timeout=120)  # no index there: it says so, then stops with a clear error
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    text = log.read_text()
    assert "No API keys configured" in text and "loopback only" in text
    assert "no index at" in text and "recommender index" in text
