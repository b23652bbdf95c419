"""POST /v1/events: signed deal-room webhooks, stored before they are acknowledged (recommender/events).

Each library keeps its own events beside its index; a source is bound to libraries as a key is, and
its events go to the library its binding and the `library` parameter choose (libraries.Libraries.choose).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Body, Request
from fastapi.openapi.models import Example

from recommender.api.auth import LibraryQuery
from recommender.api.errors import ApiError, documented
from recommender.api.libraries import Libraries
from recommender.api.limits import RateLimiter, Workers
from recommender.api.response_examples import answer_example
from recommender.events.models import EXAMPLE, Appended, EventBatch
from recommender.events.signature import SIGNATURE_HEADER, SOURCE_HEADER, SignatureError, verify

EXAMPLES: dict[str, Example] = {
    "viewed": {"summary": "A buyer read a case study for four minutes", "value": EXAMPLE},
    "sent-and-opened": {
        "summary": "Two events in one request",
        "value": [
            {**EXAMPLE, "event_id": "dsr-81700", "type": "sent", "seconds": None, "at": "2026-11-26T09:00:00Z"},
            {**EXAMPLE, "event_id": "dsr-81701", "type": "opened", "seconds": None, "at": "2026-11-26T11:30:00Z"},
        ],
    },
}


def event_routes(
    libraries: Libraries,
    secrets: dict[str, str],
    bound: dict[str, frozenset[str]],
    limiter: RateLimiter,
    workers: Workers,
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["events"])

    @router.post(
        "/events",
        response_model=Appended,
        responses={**answer_example("stored"), **documented(400, 401, 403, 404, 408, 413, 422, 429)},
    )
    async def events(
        request: Request, body: Annotated[EventBatch, Body(openapi_examples=EXAMPLES)], library: LibraryQuery = None
    ) -> Appended:
        """Deal-room engagement events (sent, opened, viewed, ...), signed by their source.

        Headers: `X-Recommender-Source: <source>` and `X-Recommender-Signature: t=<unix seconds>,v1=<hex>`,
        the HMAC-SHA256 of `<t>.<raw body>` keyed by the source's secret; `t` must be within five minutes of
        the server's clock. The answer comes after the events are committed; an event id already stored is
        counted under `duplicates` and not stored again. The events are stored in the source's library
        (`?library=` when the source is bound to several).
        """
        source = _verified(request, await request.body(), secrets)
        limiter.check(f"webhook:{source}")
        store = libraries.choose(bound.get(source, frozenset()), library, f"webhook source '{source}'").history
        if store is None:
            raise ApiError(503, "events_unavailable", "this server stores no engagement events")
        return await workers.run(lambda: store.append(body.events(), source=source))

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
