"""create_app(settings): the HTTP API, a thin adapter over the recommender core.

Every library's index and the encoder it was built with are loaded here, once, before the app is
returned; nothing happens at import time. Tests hand in an already-loaded embedder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import FastAPI
from starlette.middleware import Middleware

from indexer.embed import Embedder
from recommender.api.auth import Authenticator
from recommender.api.content_routes import content_routes
from recommender.api.context import RequestContext
from recommender.api.cors import cors_middleware
from recommender.api.docs_routes import install_docs
from recommender.api.errors import install_error_handlers
from recommender.api.event_routes import event_routes
from recommender.api.keys import KeyRing
from recommender.api.libraries import Libraries
from recommender.api.limits import BodyLimit, RateLimiter, Workers
from recommender.api.mcp_routes import McpMount, mcp_server
from recommender.api.ops_routes import ops_routes
from recommender.api.recommend_routes import recommend_routes
from recommender.api.settings import ServerSettings
from recommender.web import install_web

DESCRIPTION = """Recommends a short, reasoned set of sales content for a buyer's problems and buying stage,
and says what the library does not answer.

Send an API key as `Authorization: Bearer rk_...`. Keys have scopes: **buyer** (deal rooms: only
buyer-facing content, whatever the request asks), **seller** (internal content too, flagged
`internal`) and **admin** (reload the index). Errors are `{"error": {code, message, details, request_id}}`.

One server may hold several libraries. A key is bound to one library or a list: a key bound to one
needs nothing more; a key bound to several chooses with the `library` query parameter
(`?library=emea`). A library the key is not bound to is answered as one that does not exist (404).
"""


def create_app(
    settings: ServerSettings, *, embedder: Embedder | None = None, today: Callable[[], dt.date] = dt.date.today
) -> FastAPI:
    """The API over the libraries in `settings` (or its one index); loads them and their encoder (unless given) now."""
    libraries = Libraries.load(settings, embedder, today=today)
    auth = Authenticator(
        KeyRing(settings.api_keys), RateLimiter(per_minute=settings.api_rate_per_minute, burst=settings.api_rate_burst)
    )
    workers = Workers(settings.api_workers)
    agents = McpMount(mcp_server(libraries, auth), auth, host=settings.api_host)
    app = FastAPI(
        title="Buyer content recommender",
        version="1",
        description=DESCRIPTION,
        docs_url=None,  # served from vendored assets by install_docs, not from a CDN
        redoc_url=None,
        middleware=[
            *cors_middleware(settings.api_cors_origins),  # outermost: errors and 413s carry CORS headers too
            Middleware(RequestContext),
            Middleware(BodyLimit, max_bytes=settings.api_max_body_bytes, timeout=settings.api_body_timeout_seconds),
        ],
        lifespan=agents.lifespan,
    )
    install_error_handlers(app)
    install_docs(app)
    app.include_router(recommend_routes(libraries, auth, workers))
    app.include_router(content_routes(libraries, auth, workers))
    app.include_router(ops_routes(libraries, auth))
    install_web(app, libraries, auth, workers, today=today)
    app.include_router(
        event_routes(libraries, settings.webhook_secrets(), settings.webhook_libraries(), auth.limiter, workers)
    )
    app.mount("/mcp", agents)
    return app
