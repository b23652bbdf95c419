"""The page routes (`/`, `/library`) and the HTML fragments they fetch (`/ui/...`).

The pages themselves hold no library data, so they need no key; every fragment does, with the
same scopes and audience rule as the API (a buyer key sees buyer-facing items only). Errors come
back as the API's JSON error body, which the page shows as a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from recommender.api.auth import Authenticator, Caller
from recommender.api.errors import ApiError
from recommender.api.limits import Workers
from recommender.api.live import LiveIndex
from recommender.buyer_note import buyer_note
from recommender.catalog import ContentQuery
from recommender.models import RecommendationRequest
from recommender.web.audit import AuditPages
from recommender.web.views import http_link, role_view, sent_ids

HERE = FilePath(__file__).resolve().parent
STATIC = HERE / "static"


def web_routes(
    live: LiveIndex, auth: Authenticator, workers: Workers, *, today: Callable[[], dt.date] = dt.date.today
) -> APIRouter:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["link"] = http_link
    router = APIRouter(include_in_schema=False)
    reader = Depends(auth.require("buyer", "seller"))
    seller = Depends(auth.require("seller"))
    audits = AuditPages()

    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        vocabulary = live.current.recommender.vocabulary
        return templates.TemplateResponse(
            request, name, {"keys_required": bool(auth.keys), "vocabulary": vocabulary, **context}
        )

    @router.get("/", response_class=HTMLResponse)
    async def seller_page(request: Request) -> HTMLResponse:
        return page(request, "seller.html")

    @router.get("/library", response_class=HTMLResponse)
    async def library_page(request: Request) -> HTMLResponse:
        return page(request, "library.html")

    @router.get("/ui/sent-options", response_class=HTMLResponse)
    async def sent_options(request: Request, caller: Caller = reader) -> HTMLResponse:
        facets = live.current.catalog.facets(viewer=caller.audience())
        return templates.TemplateResponse(request, "_options.html", {"facets": facets})

    @router.post("/ui/recommend", response_class=HTMLResponse)
    async def recommend(request: Request, body: RecommendationRequest, caller: Caller = reader) -> HTMLResponse:
        answer = await workers.run(live.current.recommender.recommend, caller.served(body))
        context = {
            "answer": answer,
            "note_text": buyer_note(answer, "text"),
            "note_markdown": buyer_note(answer, "markdown"),
            "sent": sent_ids(answer),
            "roles": role_view(answer),
        }
        return templates.TemplateResponse(request, "_result.html", context)

    @router.get("/ui/library/filters", response_class=HTMLResponse)
    async def library_filters(request: Request, caller: Caller = reader) -> HTMLResponse:
        viewer = caller.audience()
        facets = live.current.catalog.facets(viewer=viewer)
        return templates.TemplateResponse(request, "_filters.html", {"facets": facets, "viewer": viewer})

    @router.get("/ui/library/items", response_class=HTMLResponse)
    async def library_items(
        request: Request, query: Annotated[ContentQuery, Query()], caller: Caller = reader
    ) -> HTMLResponse:
        listing = await workers.run(lambda: live.current.catalog.items(query, viewer=caller.audience()))
        return templates.TemplateResponse(request, "_items.html", {"page": listing, "query": query})

    @router.get("/ui/library/items/{item_id:path}", response_class=HTMLResponse)
    async def library_item(request: Request, item_id: Annotated[str, Path()], caller: Caller = reader) -> HTMLResponse:
        detail = live.current.catalog.item(item_id, viewer=caller.audience())
        if detail is None:
            raise ApiError(404, "not_found", f"no content item '{item_id}'", details={"id": item_id})
        return templates.TemplateResponse(request, "_item.html", {"item": detail})

    @router.get("/ui/audit", response_class=HTMLResponse, dependencies=[seller])
    async def audit() -> HTMLResponse:
        served = live.current
        return HTMLResponse(await workers.run(audits.page, served.recommender.snapshot, today()))

    return router
