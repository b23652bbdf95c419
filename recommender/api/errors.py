"""The API's error boundary: every failure becomes `{"error": {code, message, details, request_id}}`.

The core raises RecommenderError subclasses; this module alone decides their HTTP status. The
request id is the one the request-context middleware put on the request (also the
`X-Request-ID` response header and part of the server's log line).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.errors import (
    IndexCorruptError,
    IndexMissingError,
    InvalidRequestError,
    ModelLoadError,
    ModelMismatchError,
    RecommenderError,
)
from recommender.api.response_examples import error_example
from recommender.requests import plain_message

log = logging.getLogger(__name__)
REQUEST_ID = "X-Request-ID"
MAX_LISTED = 10


class ServerConfigError(RecommenderError):
    """Server settings that cannot be served safely or at all."""


class ErrorDetail(BaseModel):
    code: str = Field(
        description="stable, machine-readable: invalid_request, unauthorized, forbidden, not_found, rate_limited, ..."
    )
    message: str = Field(description="what is wrong, for a person")
    details: dict[str, Any] = Field(default_factory=dict, description="the field at fault, a hint, limits")
    request_id: str = Field(description="also the X-Request-ID header and in the server's log line")


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An HTTP-level refusal raised by the API's own layers (auth, limits, lookups)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


_CORE_STATUS: tuple[tuple[type[RecommenderError], int, str], ...] = (
    (InvalidRequestError, 422, "invalid_request"),
    (IndexMissingError, 503, "index_missing"),
    (IndexCorruptError, 409, "index_corrupt"),
    (ModelMismatchError, 409, "model_mismatch"),
    (ModelLoadError, 503, "model_unavailable"),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def api_error_of(exc: RecommenderError) -> ApiError:
    """The HTTP status and code for a core error, its hint and field kept as details."""
    status, code = next(((s, c) for kind, s, c in _CORE_STATUS if isinstance(exc, kind)), (500, "recommender_error"))
    details: dict[str, Any] = {"hint": exc.hint} if exc.hint else {}
    if isinstance(exc, InvalidRequestError) and exc.field:
        details["field"] = exc.field
    return ApiError(status, code, exc.message, details=details)


def error_body(request_id: str, code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return ErrorBody(
        error=ErrorDetail(code=code, message=message, details=dict(details or {}), request_id=request_id)
    ).model_dump()


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "-"))


def respond(request: Request, error: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(request_id_of(request), error.code, error.message, error.details),
        status_code=error.status,
        headers=error.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RecommenderError, _on_core_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_error)  # type: ignore[arg-type]


async def _on_api_error(request: Request, exc: ApiError) -> JSONResponse:
    return respond(request, exc)


async def _on_core_error(request: Request, exc: RecommenderError) -> JSONResponse:
    error = api_error_of(exc)
    if error.status >= 500:
        log.error("request %s failed: %s", request_id_of(request), exc)
    return respond(request, error)


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [_problem(e) for e in exc.errors()]
    first = problems[0] if problems else {"field": "", "message": "the request is not valid"}
    message = first["message"] if not first["field"] else f"{first['field']}: {first['message']}"
    return respond(
        request,
        ApiError(422, "invalid_request", message, details={"field": first["field"], "errors": problems[:MAX_LISTED]}),
    )


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return respond(request, api_error_of_http(exc))


def api_error_of_http(exc: StarletteHTTPException) -> ApiError:
    return ApiError(
        exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail), headers=exc.headers
    )


def _problem(error: Mapping[str, Any]) -> dict[str, str]:
    loc = [str(part) for part in error.get("loc", ())]
    field = ".".join(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    if error.get("type") == "json_invalid":
        return {"field": "", "message": "the request body is not valid JSON", "type": "json_invalid"}
    return {"field": field, "message": plain_message(error), "type": str(error.get("type", ""))}


_DESCRIPTIONS = {
    400: "the request body is not UTF-8 text (other bytes, UTF-16 or UTF-32, or a byte-order mark)",
    401: "no API key, or one that is not configured (WWW-Authenticate: Bearer)",
    403: "the key's scope does not allow this, or the key is bound to no library on a server with several",
    404: "no such item this key may see, or no such library for this key (library_not_found)",
    408: "the request body did not arrive within api_body_timeout_seconds of its headers",
    409: "the newest published index cannot be used (corrupt, another model); the previous one keeps serving",
    413: "the request body is over the size limit",
    422: "the request is not valid; details.field names the field (library_required: choose one of details.libraries)",
    429: "the key's rate limit is used up; wait Retry-After seconds",
    503: "no index is published",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, all with the ErrorBody shape and an example."""
    return {
        status: {
            "model": ErrorBody,
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"example": error_example(status)}},
        }
        for status in statuses
    }
