"""CORS for deal rooms: browsers on the configured origins may call the API; no others, and none by default.

Preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered by Starlette's CORSMiddleware
for every path, before authentication: a browser sends a preflight without the Authorization header,
then the real request with it. Keys are bearer tokens, not cookies, so credentials stay off.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from recommender.api.errors import REQUEST_ID

ALLOWED_METHODS = ("GET", "POST")
ALLOWED_HEADERS = ("Authorization", "Content-Type", REQUEST_ID)
EXPOSED_HEADERS = (REQUEST_ID, "Retry-After")
PREFLIGHT_CACHE_SECONDS = 600


def cors_middleware(origins: tuple[str, ...]) -> list[Middleware]:
    """The CORS middleware for `origins`, or nothing at all when there are none (so no CORS headers are sent)."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=list(ALLOWED_METHODS),
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            allow_credentials=False,
            max_age=PREFLIGHT_CACHE_SECONDS,
        )
    ]
