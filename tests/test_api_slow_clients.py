"""Slow and idle clients against the real server: `recommender serve` as a subprocess, raw sockets as the clients.

The server runs with short limits (a 3 s header timeout, a 2 s body timeout, 20 connections per
client address) so that every case ends in seconds. Attacking connections come from other
loopback addresses (127.0.1.x, 127.0.2.1) than the legitimate client (127.0.0.1). Every wait is
bounded; nothing here times the server's speed (benchmarks/slow_clients.py does).
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recommender.api.keys import NewKey, new_key
from tests.live_server import server_env, serving
from tests.test_api import auth
from tests.test_api_server import BODY

pytestmark = pytest.mark.slow
HEADER_TIMEOUT, BODY_TIMEOUT, PER_CLIENT = 3, 2, 20
PARTIAL = b"POST /v1/recommendations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Waiting: "


@pytest.fixture(scope="module")
def server(corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, NewKey]]:
    folder = tmp_path_factory.mktemp("slow-server")
    index = folder / "index"
    shutil.copytree(corpus_index, index, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    key = new_key("deal-room", ["buyer"])
    env = server_env(
        RECOMMENDER_API_KEYS=key.key.line(),
        RECOMMENDER_API_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT),
        RECOMMENDER_API_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
        RECOMMENDER_API_MAX_CONNECTIONS_PER_CLIENT=str(PER_CLIENT),
    )
    with serving(index, env, folder / "server.log") as (url, port):
        yield url, port, key


def _connect(port: int, source: str, sent: bytes = PARTIAL) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    sock.sendall(sent)
    return sock


def _waiting(sock: socket.socket) -> bool:
    """True while the server has neither answered nor closed `sock`."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
        return False
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
        sock.settimeout(30)


def _answer(sock: socket.socket) -> tuple[int, dict]:  # type: ignore[type-arg]
    """The status and JSON body of the first answer on `sock` (bounded by the socket's timeout)."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return int(head.split()[1]), json.loads(body)


def test_a_legitimate_request_is_answered_while_150_connections_hang_half_open(
    server: tuple[str, int, NewKey],
) -> None:
    url, port, key = server
    hanging = [_connect(port, f"127.0.1.{1 + n // 10}") for n in range(150)]  # 10 per address, under the cap
    try:
        time.sleep(0.5)
        assert sum(_waiting(sock) for sock in hanging) == 150  # the server holds every one of them
        with httpx.Client(timeout=30) as client:
            answers = [client.post(f"{url}/v1/recommendations", json=BODY, headers=auth(key)) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200] and all(a.json()["items"] for a in answers)
    finally:
        for sock in hanging:
            sock.close()


@pytest.mark.parametrize("trickle", [False, True], ids=["idle", "slowloris"])
def test_a_half_open_connection_gets_408_and_is_closed_after_the_header_timeout(
    server: tuple[str, int, NewKey], trickle: bool
) -> None:
    _, port, _ = server
    sock = _connect(port, "127.0.2.2")
    started = time.monotonic()
    try:
        while trickle and _waiting(sock) and time.monotonic() - started < HEADER_TIMEOUT + 10:
            sock.send(b"a")  # a byte every half second does not keep the connection alive
            time.sleep(0.5)
        status, body = _answer(sock)
    finally:
        sock.close()
    assert status == 408 and body["error"]["code"] == "request_timeout"
    assert f"within {HEADER_TIMEOUT} s" in body["error"]["message"]
    assert time.monotonic() - started >= HEADER_TIMEOUT - 0.5  # not closed before its time


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(server: tuple[str, int, NewKey]) -> None:
    _, port, _ = server
    sock = _connect(port, "127.0.2.7", b"")
    try:
        assert sock.recv(1) == b""  # closed (the socket's timeout bounds the wait)
    finally:
        sock.close()


def test_a_kept_alive_connection_has_the_header_deadline_for_its_next_request_too(
    server: tuple[str, int, NewKey],
) -> None:
    _, port, _ = server
    sock = _connect(port, "127.0.2.3", b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    try:
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Waiting: ")  # the next one stops halfway
        deadline = time.monotonic() + HEADER_TIMEOUT + 10
        while _waiting(sock) and time.monotonic() < deadline:
            sock.send(b"a")  # and trickles: the keep-alive timer restarts with every byte, the header deadline does not
            time.sleep(0.5)
        status, body = _answer(sock)
    finally:
        sock.close()
    assert status == 408 and body["error"]["code"] == "request_timeout"


def test_a_client_over_its_connection_cap_is_refused_and_others_are_served(server: tuple[str, int, NewKey]) -> None:
    url, port, key = server
    held = [_connect(port, "127.0.2.4") for _ in range(PER_CLIENT)]
    try:
        time.sleep(0.3)
        extra = _connect(port, "127.0.2.4")
        status, body = _answer(extra)
        extra.close()
        assert status == 503 and body["error"]["code"] == "too_many_connections"
        assert f"already holds {PER_CLIENT} open connections" in body["error"]["message"]
        assert all(_waiting(sock) for sock in held)
        response = httpx.post(f"{url}/v1/recommendations", json=BODY, headers=auth(key), timeout=30)
        assert response.status_code == 200  # another address is not affected
    finally:
        for sock in held:
            sock.close()


def test_a_body_that_does_not_arrive_in_time_is_408_in_the_error_shape(server: tuple[str, int, NewKey]) -> None:
    _, port, key = server
    head = (
        f"POST /v1/recommendations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key.secret}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    sock = _connect(port, "127.0.2.5", head.encode() + b'{"problems": ["month-end')  # 24 of the 100 bytes, then waits
    try:
        status, body = _answer(sock)
    finally:
        sock.close()
    assert status == 408 and body["error"]["code"] == "request_timeout"
    assert f"within {BODY_TIMEOUT} s of its headers" in body["error"]["message"] and body["error"]["request_id"] != "-"


def test_headers_over_64_kib_are_431(server: tuple[str, int, NewKey]) -> None:
    _, port, _ = server
    sock = _connect(port, "127.0.2.6", b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    try:
        for _ in range(66):  # just over 64 KiB, then wait for the answer
            sock.sendall(b"X-Filler: " + b"a" * 1000 + b"\r\n")
        status, body = _answer(sock)
    except (BrokenPipeError, ConnectionResetError):
        pytest.fail("the server closed the connection without answering 431")
    finally:
        sock.close()
    assert status == 431 and body["error"]["code"] == "headers_too_large"
