"""Several libraries on a real `recommender serve` (uvicorn), and `recommender mcp --library` over stdio: a smoke
test of what tests/test_tenancy.py checks in volume through the TestClient."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from recommender.api.keys import NewKey, new_key
from tests.live_server import RECOMMENDER, server_env, serving
from tests.test_mcp import call, over_http
from tests.test_tenancy import B_IDS, B_TEXT, B_WORDS

pytestmark = pytest.mark.slow
Server = tuple[str, dict[str, NewKey]]


@pytest.fixture(scope="module")
def server(corpus_index: Path, tenant_b_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("tenancy-server")
    roots = {"alpha": folder / "alpha", "beta": folder / "beta"}
    for source, name in ((corpus_index, "alpha"), (tenant_b_index, "beta")):
        shutil.copytree(source, roots[name], symlinks=True, ignore=shutil.ignore_patterns(".lock", "events"))
    keys = {
        "a": new_key("a-room", ["buyer"], ["alpha"]),
        "b": new_key("b-desk", ["seller"], ["beta"]),
        "both": new_key("both", ["seller"], ["alpha", "beta"]),
        "unbound": new_key("nowhere", ["seller"]),
    }
    env = server_env(RECOMMENDER_API_KEYS=" ".join(k.key.line() for k in keys.values()))
    with serving(roots, env, folder / "server.log") as (url, _):
        yield url, keys


def get(url: str, key: NewKey, **params: str) -> httpx.Response:
    return httpx.get(url, params=params, headers={"Authorization": f"Bearer {key.secret}"}, timeout=60)


def test_each_key_reaches_its_own_library_only(server: Server) -> None:
    url, keys = server
    assert httpx.get(f"{url}/v1/ready", timeout=10).json()["library"] is None
    a = get(f"{url}/v1/content", keys["a"], limit="200")
    assert a.status_code == 200 and a.json()["total"] > 20
    assert not [word for word in B_WORDS if word in a.text.lower()]
    b = get(f"{url}/v1/content", keys["b"])
    assert sorted(item["id"] for item in b.json()["items"]) == sorted(B_IDS)
    for name in ("beta", "BETA", "gamma"):
        refused = get(f"{url}/v1/content/{B_IDS[0]}", keys["a"], library=name)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "library_not_found"
        assert "vantablue" not in refused.text.lower() and "quixotrel" not in refused.text.lower()
    assert get(f"{url}/v1/content/{B_IDS[0]}", keys["a"]).status_code == 404
    assert get(f"{url}/v1/content/{B_IDS[0]}", keys["both"], library="beta").json()["id"] == B_IDS[0]
    assert get(f"{url}/v1/content", keys["both"]).json()["error"]["code"] == "library_required"
    assert get(f"{url}/v1/content", keys["unbound"]).json()["error"]["code"] == "library_unbound"
    page = get(f"{url}/ui/library/items", keys["a"], library="beta")
    assert page.status_code == 404 and "zorblax" not in page.text


def test_mcp_over_http_answers_from_the_keys_library(server: Server) -> None:
    url, keys = server

    async def scenario() -> None:
        async with over_http(url, keys["a"]) as session:
            answer = await call(session, "recommend", {"problems": [B_TEXT], "max_items": 20})
            seen = str(answer.structured_content).lower()  # echoes the problem text, so B's own words only
            assert not answer.is_error and not [x for x in [*B_IDS, "harbourworks", "pellmore"] if x in seen]
            spoofed = await call(session, "get_content", {"id": B_IDS[0], "library": "beta"})
            assert spoofed.is_error and "vantablue" not in str(spoofed.content).lower()
        async with over_http(url, keys["both"]) as session:
            read = await call(session, "get_content", {"id": B_IDS[3], "library": "beta"})
            assert not read.is_error and "Harbourworks" in str(read.structured_content)

    anyio.run(scenario)


def test_recommender_mcp_serves_the_chosen_library(corpus_index: Path, tenant_b_index: Path) -> None:
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    env = server_env(RECOMMENDER_LIBRARIES=f"alpha={corpus_index},beta={tenant_b_index}")

    async def scenario() -> None:
        params = StdioServerParameters(command=str(RECOMMENDER), args=["mcp", "--library", "beta"], env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            listed = await call(session, "search_library", {"limit": 50})
            assert listed.structured_content is not None
            assert sorted(i["id"] for i in listed.structured_content["items"]) == sorted(B_IDS)
            other = await call(session, "search_library", {"library": "alpha"})
            assert other.is_error

    anyio.run(scenario)
