"""The MCP server through the official MCP client: `recommender mcp` over stdio, and /mcp of a real
`recommender serve` process over streamable HTTP, behind the same API keys as the rest of the API."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from recommender.api.keys import NewKey, new_key
from recommender.models import Recommendation
from tests.live_server import RECOMMENDER, server_env, serving

pytestmark = pytest.mark.slow
PRICING = {"problems": ["a competitor is cheaper than us", "how much discount may I give"], "max_items": 5}
TOOLS = {"recommend", "ask", "get_content", "search_library", "library_gaps"}


@asynccontextmanager
async def over_stdio(index: Path) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=str(RECOMMENDER), args=["mcp", "--index", str(index)], env=server_env())
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


@asynccontextmanager
async def over_http(url: str, key: NewKey | None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key.secret}"} if key else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{url}/mcp/", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await session.call_tool(tool, arguments)
    assert isinstance(result, CallToolResult)
    return result


def test_stdio_tools_answer_with_structured_content_and_text(corpus_index: Path) -> None:
    async def scenario() -> None:
        async with over_stdio(corpus_index) as session:
            listed = await session.list_tools()
            assert {t.name for t in listed.tools} == TOOLS
            schema = next(t for t in listed.tools if t.name == "recommend").input_schema
            assert schema["required"] == ["problems"] and schema["properties"]["max_items"]["maximum"] == 20

            result = await call(session, "recommend", {**PRICING, "stage": "evaluation"})
            answer = Recommendation.model_validate(result.structured_content)
            assert not result.is_error and answer.items and answer.recognised.stage == "requirements-building"
            assert answer.recognised.audience == "seller" and any(i.internal for i in answer.items)
            text = result.content[0].text  # type: ignore[union-attr]
            assert answer.items[0].title in text and answer.items[0].reasons[0].text in text

            buyer = Recommendation.model_validate(
                (await call(session, "recommend", {**PRICING, "audience": "buyer"})).structured_content
            )
            assert buyer.items and not any(i.internal for i in buyer.items)

            first = answer.items[0]
            read = await call(session, "get_content", {"id": first.id, "section": first.section.heading})
            assert read.structured_content and read.structured_content["section"] == first.section.heading
            assert read.structured_content["text"].strip()

            bad = await call(session, "recommend", {"problems": ["x"], "stage": "no-such-stage"})
            assert bad.is_error and "stage" in bad.content[0].text  # type: ignore[union-attr]

            gaps = await call(
                session,
                "library_gaps",
                {"problems": ["month-end close takes twelve days", "our submarine fleet needs sonar upgrades"]},
            )
            assert gaps.structured_content and [g["problem"] for g in gaps.structured_content["gaps"]] == [
                "our submarine fleet needs sonar upgrades"
            ]

    anyio.run(scenario)


@pytest.fixture(scope="module")
def http_server(
    corpus_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, NewKey]]]:
    folder = tmp_path_factory.mktemp("mcp-server")
    index = folder / "index"
    shutil.copytree(corpus_index, index, symlinks=True, ignore=shutil.ignore_patterns(".lock", "events"))
    keys = {
        "buyer": new_key("deal-room", ["buyer"]),
        "seller": new_key("rep", ["seller"]),
        "admin": new_key("ops", ["admin"]),
    }
    env = server_env(RECOMMENDER_API_KEYS=" ".join(k.key.line() for k in keys.values()))
    with serving(index, env, folder / "server.log") as (url, _):
        yield url, keys


def test_over_http_a_buyer_key_never_gets_internal_content(http_server: tuple[str, dict[str, NewKey]]) -> None:
    url, keys = http_server

    async def scenario() -> None:
        async with over_http(url, keys["buyer"]) as session:
            asked = await call(session, "recommend", {**PRICING, "audience": "seller"})
            answer = Recommendation.model_validate(asked.structured_content)
            assert answer.items and answer.recognised.audience == "buyer" and not any(i.internal for i in answer.items)
            hidden = await call(session, "get_content", {"id": "int-discount-guidance"})
            assert hidden.is_error
            listing = await call(session, "search_library", {"audience": "internal"})
            assert listing.structured_content and listing.structured_content["total"] == 0
        async with over_http(url, keys["seller"]) as session:
            answer = Recommendation.model_validate((await call(session, "recommend", PRICING)).structured_content)
            assert answer.recognised.audience == "seller" and any(i.internal for i in answer.items)
            seen = await call(session, "get_content", {"id": "int-discount-guidance"})
            assert not seen.is_error and seen.structured_content and seen.structured_content["internal"] is True

    anyio.run(scenario)


def test_over_http_mcp_needs_a_reader_key(http_server: tuple[str, dict[str, NewKey]]) -> None:
    url, keys = http_server
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    accept = {"Accept": "application/json, text/event-stream"}
    assert httpx.post(f"{url}/mcp/", json=body, headers=accept, timeout=10).status_code == 401
    admin = {**accept, "Authorization": f"Bearer {keys['admin'].secret}"}
    refused = httpx.post(f"{url}/mcp/", json=body, headers=admin, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
