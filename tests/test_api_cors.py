"""CORS for deal rooms: preflight for every /v1 endpoint from an allowed origin; nothing for others or by default."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.embed import Embedder
from recommender.api.app import create_app
from recommender.api.errors import ServerConfigError
from recommender.api.keys import NewKey, new_key
from recommender.api.settings import ServerSettings

TODAY = dt.date(2026, 11, 27)
ROOM = "https://room.acme.example"
OTHER = "https://evil.example"
REQUESTED = "authorization, content-type"


@pytest.fixture(scope="module")
def buyer() -> NewKey:
    return new_key("deal-room", ["buyer"])


def _client(index: Path, embedder: Embedder, key: NewKey, **extra: object) -> TestClient:
    settings = ServerSettings.load(index=index, api_keys=key.key.line(), api_rate_per_minute=1e6, **extra)
    return TestClient(create_app(settings, embedder=embedder, today=lambda: TODAY))


@pytest.fixture(scope="module")
def client(corpus_index: Path, embedder: Embedder, buyer: NewKey) -> Iterator[TestClient]:
    with _client(corpus_index, embedder, buyer, api_cors_origins=f"{ROOM}/ https://crm.example.com") as test_client:
        yield test_client


def v1_operations(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, concrete path) under /v1 in the OpenAPI document, path parameters filled with a sample id."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "cs-harbor-point-close", path))
        for path, operations in paths.items()
        if path.startswith("/v1/")
        for method in operations
    ]


def preflight(client: TestClient, method: str, path: str, origin: str) -> dict[str, str]:
    asking = {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": REQUESTED}
    response = client.options(path, headers=asking)
    return {"status": str(response.status_code), **{k.lower(): v for k, v in response.headers.items()}}


def test_every_v1_endpoint_answers_a_preflight_from_an_allowed_origin(client: TestClient) -> None:
    operations = v1_operations(client)
    assert {("POST", "/v1/recommendations"), ("POST", "/v1/ask"), ("GET", "/v1/content")} <= set(operations)
    for method, path in operations:
        headers = preflight(client, method, path, ROOM)
        assert headers["status"] == "200", (method, path, headers)
        assert headers["access-control-allow-origin"] == ROOM
        assert method in headers["access-control-allow-methods"]
        assert {"authorization", "content-type"} <= set(headers["access-control-allow-headers"].lower().split(", "))
        assert "access-control-allow-credentials" not in headers


def test_a_different_origin_gets_no_cors_headers(client: TestClient) -> None:
    for method, path in v1_operations(client):
        headers = preflight(client, method, path, OTHER)
        assert headers["status"] == "400", (method, path)
        assert "access-control-allow-origin" not in headers


def test_the_real_request_and_its_errors_carry_the_headers(client: TestClient, buyer: NewKey) -> None:
    body = {"problems": ["month-end close takes twelve days"], "max_items": 1}
    ok = client.post(
        "/v1/recommendations", json=body, headers={"Origin": ROOM, "Authorization": f"Bearer {buyer.secret}"}
    )
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ROOM
    assert "x-request-id" in ok.headers["access-control-expose-headers"].lower()
    refused = client.post("/v1/recommendations", json=body, headers={"Origin": ROOM})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == ROOM
    other = client.post("/v1/recommendations", json=body, headers={"Origin": OTHER})
    assert other.status_code == 401 and "access-control-allow-origin" not in other.headers


def test_without_origins_there_is_no_cors(corpus_index: Path, embedder: Embedder, buyer: NewKey) -> None:
    with _client(corpus_index, embedder, buyer) as plain:
        headers = preflight(plain, "POST", "/v1/recommendations", ROOM)
        assert headers["status"] == "405"
        assert not any(name.startswith("access-control-") for name in headers)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("*", "'*' is not allowed"),
        ("room.acme.example", "is not an origin"),
        ("https://room.acme.example/app", "is not an origin"),
        ("ftp://room.acme.example", "is not an origin"),
    ],
)
def test_a_bad_origin_is_refused_with_a_reason(value: str, words: str) -> None:
    with pytest.raises(ServerConfigError, match="api_cors_origins") as error:
        ServerSettings.load(api_cors_origins=value)
    assert words in error.value.message


def test_origins_come_from_the_environment_as_browsers_send_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_API_CORS_ORIGINS", "HTTPS://Room.Acme.Example/ http://localhost:5173")
    assert ServerSettings.load().api_cors_origins == ("https://room.acme.example", "http://localhost:5173")
    assert ServerSettings.load(api_cors_origins=None).api_cors_origins == ServerSettings.load().api_cors_origins
    monkeypatch.delenv("RECOMMENDER_API_CORS_ORIGINS")
    assert ServerSettings.load().api_cors_origins == ()
