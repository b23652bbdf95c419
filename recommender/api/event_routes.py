"""POST /v1/events: signed deal-room webhooks, stored before they are acknowledged (recommender/events)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Body, Request
from pydantic import Field

from recommender.api.errors import ApiError, documented
from recommender.api.limits import RateLimiter, Workers
from recommender.events.models import MAX_EVENTS_PER_REQUEST, Appended, Event
from recommender.events.signature import SIGNATURE_HEADER, SOURCE_HEADER, SignatureError, verify
from recommender.events.store import EventStore

Events = Event | Annotated[list[Event], Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)]


def event_routes(store: EventStore, secrets: dict[str, str], limiter: RateLimiter, workers: Workers) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["events"])

    @router.post(
        "/events",
        response_model=Appended,
        responses=documented(400, 401, 403, 413, 422, 429),
    )
    async def events(
        request: Request, body: Annotated[Events, Body(description="one event, or a list of up to 100")]
    ) -> Appended:
        """Deal-room engagement events (sent, opened, viewed, ...), signed by their source.

        Headers: `X-Recommender-Source: <source>` and `X-Recommender-Signature: t=<unix seconds>,v1=<hex>`,
        the HMAC-SHA256 of `<t>.<raw body>` keyed by the source's secret; `t` must be within five minutes of
        the server's clock. The answer comes after the events are committed; an event id already stored is
        counted under `duplicates` and not stored again.
        """
        source = _verified(request, await request.body(), secrets)
        limiter.check(f"webhook:{source}")
        batch = body if isinstance(body, list) else [body]
        return await workers.run(lambda: store.append(batch, source=source))

    return router


def _verified(request: Request, raw: bytes, secrets: dict[str, str]) -> str:
    if not secrets:
        raise ApiError(
            403,
            "forbidden",
            "this server takes no engagement events: no webhook sources are configured",
            details={"hint": "Set RECOMMENDER_EVENTS_SECRETS to lines <source>:<secret> (24+ characters)."},
        )
    try:
        source = verify(
            request.headers.get(SOURCE_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            raw,
            secrets=secrets,
            now=time.time(),
        )
    except SignatureError as exc:
        raise ApiError(401, "bad_signature", exc.message, details={"hint": exc.hint}) from None
    request.state.key_name = f"webhook:{source}"
    return source
