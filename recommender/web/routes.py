"""The page routes (`/`, `/library`) and the HTML fragments they fetch (`/ui/...`).

The pages themselves hold no library data, so they need no key; every fragment does, with the
same scopes, audience rule and library choice as the API (a buyer key sees buyer-facing items of
its own library only; `?library=` when the key has several). Errors come
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

from recommender.api.auth import Authenticator, Caller, Chosen, choose
from recommender.api.errors import ApiError
from recommender.api.libraries import Libraries
from recommender.api.limits import Workers
from recommender.api.schemas import LibraryContentQuery
from recommender.buyer_note import buyer_note
from recommender.models import RecommendationRequest
from recommender.web.audit import AuditPages
from recommender.web.views import http_link, role_view, sent_ids

HERE = FilePath(__file__).resolve().parent
STATIC = HERE / "static"


def web_routes(
    libraries: Libraries, auth: Authenticator, workers: Workers, *, today: Callable[[], dt.date] = dt.date.today
) -> APIRouter:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["link"] = http_link
    router = APIRouter(include_in_schema=False)
    reader = Depends(auth.chooser(libraries, "buyer", "seller"))
    seller = Depends(auth.chooser(libraries, "seller"))
    keyed = Depends(auth.require("buyer", "seller"))
    audits = AuditPages()

    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        vocabulary = libraries.vocabulary
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
    async def sent_options(request: Request, chosen: Chosen = reader) -> HTMLResponse:
        facets = chosen.served.catalog.facets(viewer=chosen.caller.audience())
        return templates.TemplateResponse(request, "_options.html", {"facets": facets})

    @router.post("/ui/recommend", response_class=HTMLResponse)
    async def recommend(request: Request, body: RecommendationRequest, chosen: Chosen = reader) -> HTMLResponse:
        answer = await workers.run(chosen.served.recommender.recommend, chosen.caller.served(body))
        context = {
            "answer": answer,
            "note_text": buyer_note(answer, "text"),
            "note_markdown": buyer_note(answer, "markdown"),
            "sent": sent_ids(answer),
            "roles": role_view(answer),
        }
        return templates.TemplateResponse(request, "_result.html", context)

    @router.get("/ui/library/filters", response_class=HTMLResponse)
    async def library_filters(request: Request, chosen: Chosen = reader) -> HTMLResponse:
        viewer = chosen.caller.audience()
        facets = chosen.served.catalog.facets(viewer=viewer)
        return templates.TemplateResponse(request, "_filters.html", {"facets": facets, "viewer": viewer})

    @router.get("/ui/library/items", response_class=HTMLResponse)
    async def library_items(
        request: Request, query: Annotated[LibraryContentQuery, Query()], caller: Caller = keyed
    ) -> HTMLResponse:
        catalog, filters = choose(libraries, caller, query.library).served.catalog, query.filters()
        listing = await workers.run(lambda: catalog.items(filters, viewer=caller.audience()))
        return templates.TemplateResponse(request, "_items.html", {"page": listing, "query": filters})

    @router.get("/ui/library/items/{item_id:path}", response_class=HTMLResponse)
    async def library_item(request: Request, item_id: Annotated[str, Path()], chosen: Chosen = reader) -> HTMLResponse:
        detail = chosen.served.catalog.item(item_id, viewer=chosen.caller.audience())
        if detail is None:
            raise ApiError(404, "not_found", f"no content item '{item_id}'", details={"id": item_id})
        return templates.TemplateResponse(request, "_item.html", {"item": detail})

    @router.get("/ui/audit", response_class=HTMLResponse)
    async def audit(chosen: Chosen = seller) -> HTMLResponse:
        snapshot = chosen.served.recommender.snapshot
        return HTMLResponse(await workers.run(audits.page, snapshot, today()))

    return router
