"""The MCP server: a seller's AI assistant asks for content through the same core as the CLI and the API.

Tools: `recommend`, `ask`, `get_content`, `search_library` and `library_gaps`. Each has a typed input
schema and answers with structured content (the core's own models) plus a short readable text. No
rule lives here: who may see what is the Caller's audience (recommender/api/auth.py), applied by the
core (Recommender, Catalog, problem_gaps) exactly as for the HTTP API. Over stdio the caller is the
local seller, as an API without keys; over HTTP the caller is the API key the request carried. Each tool
answers from the caller's library (recommender/api/libraries.py), its `library` argument choosing when
the caller may use several.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from indexer.errors import RecommenderError
from recommender.api.auth import Caller
from recommender.api.errors import ApiError
from recommender.api.libraries import ANY_LIBRARY, Libraries
from recommender.api.live import Served
from recommender.audit.gaps import problem_gaps
from recommender.audit.report import ProblemGaps
from recommender.catalog import ContentPage, ContentQuery, ContentText
from recommender.models import MAX_ITEMS, MAX_PROBLEMS, Audience, Recommendation
from recommender.requests import parse_request

INSTRUCTIONS = (
    "Recommends a short, reasoned set of sales content for a B2B buyer's problems and buying stage, and says "
    "which problems nothing in the library answers. Use recommend (or ask, for a sentence), then get_content "
    "to read what was recommended."
)
CallerOf = Callable[[Mapping[str, str] | None], Caller]
Problems = Annotated[
    list[str], Field(min_length=1, max_length=MAX_PROBLEMS, description="1-10 problems in the buyer's words")
]
AudienceArg = Annotated[
    Audience | None,
    Field(description="buyer: buyer-facing content only; seller: internal too (only for seller callers)"),
]
LibraryArg = Annotated[
    str | None,
    Field(max_length=200, description="which of your libraries to answer from; only when you may use several"),
]


def local_seller(headers: Mapping[str, str] | None) -> Caller:
    """Over stdio the caller is the person who started the server: a seller, as with an API without keys."""
    return Caller("local", frozenset({"seller"}), ANY_LIBRARY)


def build_server(libraries: Libraries, caller_of: CallerOf = local_seller) -> MCPServer:
    """The MCP server over `libraries` (their live builds at each call), each caller answered from its own."""
    server = MCPServer("buyer-content-recommender", instructions=INSTRUCTIONS)

    def caller(ctx: Context) -> Caller:
        return caller_of(ctx.headers)

    def chosen(ctx: Context, library: str | None) -> tuple[Caller, Served]:
        who = caller(ctx)
        try:
            return who, libraries.choose(who.libraries, library, who.who).current
        except ApiError as error:
            hint = error.details.get("hint")
            raise ToolError(f"{error.message} ({hint})" if hint else error.message) from None

    @server.tool(title="Recommend content for a buyer")
    async def recommend(
        ctx: Context,
        problems: Problems,
        stage: Annotated[str | None, Field(description="buying job or alias (evaluation, proposal, ...)")] = None,
        roles: Annotated[list[str], Field(max_length=8, description="buying-group roles: cfo, it-security")] = [],  # noqa: B006
        industry: str | None = None,
        sent: Annotated[list[str], Field(max_length=200, description="content ids the buyer already has")] = [],  # noqa: B006
        deal_id: Annotated[
            str | None, Field(description="the deal: what it already has (engagement events) is not sent again")
        ] = None,
        max_items: Annotated[int, Field(ge=1, le=MAX_ITEMS)] = 5,
        budget_minutes: Annotated[float | None, Field(gt=0, le=600, description="reading time the buyer has")] = None,
        audience: AudienceArg = None,
        library: LibraryArg = None,
    ) -> Annotated[CallToolResult, Recommendation]:
        """A short, reasoned set of content for the buyer's problems, with the problems nothing answers (gaps)."""
        who, served = chosen(ctx, library)
        request = _parse(
            {
                "problems": problems,
                "stage": stage,
                "roles": roles,
                "industry": industry,
                "already_sent": sent,
                "deal_id": deal_id,
                "max_items": max_items,
                "reading_budget_minutes": budget_minutes,
                "audience": who.audience(audience),
            }
        )
        answer = await _run(lambda: served.recommender.recommend(request))
        return _result(answer, describe(answer))

    @server.tool(title="Recommend content from a sentence")
    async def ask(
        ctx: Context,
        text: Annotated[str, Field(min_length=1, max_length=1000, description="the buyer in a seller's words")],
        max_items: Annotated[int, Field(ge=1, le=MAX_ITEMS)] = 5,
        audience: AudienceArg = None,
        library: LibraryArg = None,
    ) -> Annotated[CallToolResult, Recommendation]:
        """Free text about the buyer; its stage, roles, industry and problems are recognised, then recommended for."""
        who, served = chosen(ctx, library)
        viewer = who.audience(audience)
        answer = await _run(lambda: served.recommender.ask(text, audience=viewer, max_items=max_items))
        return _result(answer, describe(answer))

    @server.tool(title="Read a content item")
    async def get_content(
        ctx: Context,
        id: Annotated[str, Field(min_length=1, description="content id, as recommend returns it")],
        section: Annotated[str | None, Field(description="a section heading; the whole item when not given")] = None,
        library: LibraryArg = None,
    ) -> Annotated[CallToolResult, ContentText]:
        """An item's text, or one of its sections."""
        who, served = chosen(ctx, library)
        found = await _run(lambda: served.catalog.text(id, viewer=who.audience(), section=section))
        if found is None:
            raise ToolError(f"no content item '{id}'")
        return _result(found, f"# {found.section or found.title}\n\n{found.text}")

    @server.tool(title="List the library")
    async def search_library(
        ctx: Context,
        stage: str | None = None,
        role: str | None = None,
        type: str | None = None,
        audience: Annotated[
            str | None, Field(description="buyer or internal: only items of that audience (sellers see both)")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
        offset: Annotated[int, Field(ge=0)] = 0,
        library: LibraryArg = None,
    ) -> Annotated[CallToolResult, ContentPage]:
        """The items this caller may see that match every filter, ordered by id."""
        who, served = chosen(ctx, library)
        try:
            query = ContentQuery.model_validate(
                {"stage": stage, "role": role, "type": type, "audience": audience, "limit": limit, "offset": offset}
            )
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        page = await _run(lambda: served.catalog.items(query, viewer=who.audience()))
        lines = [f"{page.total} item(s); showing {len(page.items)} from {page.offset}"]
        lines += [f"- {i.id}: {i.title} ({i.type}{', internal' if i.internal else ''})" for i in page.items]
        return _result(page, "\n".join(lines))

    @server.tool(title="Which problems the library does not answer")
    async def library_gaps(
        ctx: Context,
        problems: Annotated[list[str], Field(min_length=1, max_length=100, description="buyer problems to check")],
        library: LibraryArg = None,
    ) -> Annotated[CallToolResult, ProblemGaps]:
        """Of the given problems, those nothing a buyer may receive answers well (the same test as a recommendation)."""
        _, served = chosen(ctx, library)
        gaps = await _run(lambda: problem_gaps(served.recommender, problems, source="mcp"))
        lines = [f"{len(gaps.gaps)} of {gaps.checked} problem(s) are gaps"] + [f"- {g.message}" for g in gaps.gaps]
        return _result(gaps, "\n".join(lines))

    return server


def describe(answer: Recommendation) -> str:
    """A Recommendation as short plain text: each item with its reasons, then the gaps and what was left out."""
    lines = []
    for number, item in enumerate(answer.items, start=1):
        flag = " [internal]" if item.internal else ""
        lines.append(
            f"{number}. {item.title} ({item.id}, {item.type}{flag}) - read '{item.section.heading}', "
            f"{item.reading_minutes} min"
        )
        lines += [f"   - {reason.text}" for reason in item.reasons]
    if not answer.items:
        lines.append("Nothing to send: no content in the library answers these problems well.")
    lines += [f"gap: {gap.message}" for gap in answer.gaps]
    lines += [f"left out: {t.title} ({t.id}): {t.reason} - {t.detail}" for t in answer.trimmed]
    if answer.deal is not None:
        lines.append(answer.deal.message)
    return "\n".join(lines)


def _parse(values: dict[str, Any]) -> Any:
    try:
        return parse_request(values)
    except RecommenderError as exc:
        raise ToolError(_message(exc)) from None


async def _run(work: Callable[[], Any]) -> Any:
    """The core's work on a worker thread; its errors become a tool error the assistant can read."""
    try:
        return await anyio.to_thread.run_sync(work)
    except RecommenderError as exc:
        raise ToolError(_message(exc)) from None


def _message(exc: RecommenderError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


def _result(value: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=json.loads(value.model_dump_json())
    )
