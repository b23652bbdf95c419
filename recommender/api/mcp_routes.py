"""The MCP server mounted in the HTTP API at /mcp (streamable HTTP), behind the same API keys and scopes.

Every request to /mcp must carry a key with the buyer or seller scope (as /v1/recommendations does) and
is counted against that key's rate; each tool then serves the key's audience, so a buyer key never gets
internal content through MCP either.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.security import HTTPAuthorizationCredentials
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from recommender.api.auth import Authenticator, Caller
from recommender.api.errors import ApiError, respond
from recommender.api.live import LiveIndex
from recommender.mcp_server import build_server

READER_SCOPES = frozenset({"buyer", "seller"})


def mcp_server(live: LiveIndex, auth: Authenticator) -> MCPServer:
    """The MCP server over the live build, its callers identified by the API key each request carries."""
    return build_server(lambda: live.current, caller_of=lambda headers: auth.identify(credentials_of(headers)))


def mcp_app(server: MCPServer, auth: Authenticator, *, host: str) -> ASGIApp:
    """The server's streamable HTTP app, stateless (any worker may answer), behind the key check."""
    inner = server.streamable_http_app(streamable_http_path="/", stateless_http=True, json_response=True, host=host)
    return KeyGate(inner, auth)


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
