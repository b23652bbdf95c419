"""The web page for sellers and content teams: server-rendered HTML over the same core as the API.

`install_web` adds the pages (`/`, `/library`), the fragments they load (`/ui/...`, keyed exactly
as the API is) and the static assets to an app made by `recommender.api.app.create_app`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from recommender.api.auth import Authenticator
from recommender.api.libraries import Libraries
from recommender.api.limits import Workers
from recommender.web.routes import STATIC, web_routes


def install_web(
    app: FastAPI,
    libraries: Libraries,
    auth: Authenticator,
    workers: Workers,
    *,
    today: Callable[[], dt.date] = dt.date.today,
) -> None:
    """Serve the seller's page at `/`, the library page at `/library`, and their assets under `/ui/static`."""
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(web_routes(libraries, auth, workers, today=today))
