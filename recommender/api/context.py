"""Request context: an id for every request, one log line per request, and a JSON answer for any failure.

The id is the caller's `X-Request-ID` when it is a short token, otherwise a new one; it is sent
back in the same header, put into every error body, and written in the access log line:

    request 3f2a9c... POST /v1/recommendations 200 41.2 ms key=acme-deal-room
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recommender.api.errors import REQUEST_ID, ApiError, api_error_of_http, error_body

log = logging.getLogger(__name__)
access = logging.getLogger("recommender.api.access")
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContext:
    """ASGI middleware around everything the app does, so that nothing leaves without an id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status, answered = 500, False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                MutableHeaders(scope=message)[REQUEST_ID] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the last line of defence: answer in JSON, never with a traceback
            if answered:  # the answer had already started; nothing more can be said
                raise
            error = _error_of(exc, request_id)
            status = error.status
            await JSONResponse(
                error_body(request_id, error.code, error.message, error.details),
                status_code=error.status,
                headers={**error.headers, REQUEST_ID: request_id},
            )(scope, receive, send)
        finally:
            access.info(
                "request %s %s %s %d %.1f ms key=%s",
                request_id,
                scope["method"],
                _printable(scope["path"]),
                status,
                (time.perf_counter() - started) * 1000,
                state.get("key_name", "-"),
            )


def _error_of(exc: Exception, request_id: str) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, HTTPException):
        return api_error_of_http(exc)
    log.exception("request %s failed", request_id)
    return ApiError(
        500, "internal_error", "the server failed to answer this request; it has been logged under this request id"
    )


def _printable(path: str) -> str:
    """The path as one log line can hold it: control characters escaped, at most 200 characters."""
    return path[:200].encode("unicode_escape").decode("ascii")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _GIVEN_ID.match(given):
                return given
    return uuid.uuid4().hex
