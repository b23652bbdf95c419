"""The MCP server mounted in the HTTP API at /mcp (streamable HTTP), behind the same API keys and scopes.

Every request to /mcp must carry a key with the buyer or seller scope (as /v1/recommendations does) and
is counted against that key's rate; each tool then serves the key's audience from the key's library
(its `library` argument chooses when the key has several), so a buyer key never gets internal content,
nor any key another library's, through MCP either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi.security import HTTPAuthorizationCredentials
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from recommender.api.auth import Authenticator, Caller
from recommender.api.errors import ApiError, respond
from recommender.api.libraries import Libraries
from recommender.mcp_server import build_server

READER_SCOPES = frozenset({"buyer", "seller"})


def mcp_server(libraries: Libraries, auth: Authenticator) -> MCPServer:
    """The MCP server over the live libraries, its callers identified by the API key each request carries."""
    return build_server(libraries, caller_of=lambda headers: auth.identify(credentials_of(headers)))


class McpMount:
    """The server's streamable HTTP app (stateless: any worker may answer), behind the key check.

    Its session manager runs once per start of the host app (`lifespan`); each start makes a fresh one,
    as the SDK's manager cannot be run twice, so the app can be started again (tests do).
    """

    def __init__(self, server: MCPServer, auth: Authenticator, *, host: str) -> None:
        self.server, self.auth, self.host = server, auth, host
        self._app: ASGIApp | None = None

    @asynccontextmanager
    async def lifespan(self, _: object) -> AsyncIterator[None]:
        inner = self.server.streamable_http_app(
            streamable_http_path="/", stateless_http=True, json_response=True, host=self.host
        )
        async with self.server.session_manager.run():
            self._app = KeyGate(inner, self.auth)
            try:
                yield
            finally:
                self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            raise RuntimeError("the MCP app is served only while the API's lifespan runs")
        await self._app(scope, receive, send)


def credentials_of(headers: Mapping[str, str] | None) -> HTTPAuthorizationCredentials | None:
    value = (headers or {}).get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip())


class KeyGate:
    """Refuses an MCP request without a valid reader key (401/403, the API's error body) or over its rate (429)."""

    def __init__(self, app: ASGIApp, auth: Authenticator) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            self._admit(request)
        except ApiError as error:
            await respond(request, error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _admit(self, request: Request) -> Caller:
        caller = self.auth.identify(credentials_of(request.headers))
        request.state.key_name = caller.name
        if not caller.scopes & READER_SCOPES:
            raise ApiError(
                403,
                "forbidden",
                f"key '{caller.name}' may not use MCP; it needs the buyer or seller scope",
                details={"required": sorted(READER_SCOPES), "scopes": sorted(caller.scopes)},
            )
        self.auth.limiter.check(caller.name)
        return caller
