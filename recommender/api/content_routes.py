"""GET /v1/content and GET /v1/content/{id}: the key's library as the key's audience may see it (Catalog)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from recommender.api.auth import Authenticator, Caller, Chosen, choose
from recommender.api.errors import ApiError, documented
from recommender.api.examples import CONTENT_ID_EXAMPLE
from recommender.api.libraries import Libraries
from recommender.api.limits import Workers
from recommender.api.response_examples import answer_example
from recommender.api.schemas import LibraryContentQuery
from recommender.catalog import ContentDetail, ContentPage


def content_routes(libraries: Libraries, auth: Authenticator, workers: Workers) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["content"])
    reader = Depends(auth.chooser(libraries, "buyer", "seller"))
    keyed = Depends(auth.require("buyer", "seller"))

    @router.get(
        "/content",
        response_model=ContentPage,
        responses={**answer_example("page"), **documented(401, 403, 404, 422, 429)},
    )
    async def list_content(query: Annotated[LibraryContentQuery, Query()], caller: Caller = keyed) -> ContentPage:
        """The items this key may see, filtered by stage, role, type and audience, ordered by id.

        A buyer key never sees internal or expired items; a seller key sees them flagged.
        """
        catalog, filters = choose(libraries, caller, query.library).served.catalog, query.filters()
        return await workers.run(lambda: catalog.items(filters, viewer=caller.audience()))

    @router.get(
        "/content/{item_id:path}",
        response_model=ContentDetail,
        responses={**answer_example("item"), **documented(401, 403, 404, 422, 429)},
    )
    async def get_content(
        item_id: Annotated[str, Path(description="content id", examples=[CONTENT_ID_EXAMPLE])], chosen: Chosen = reader
    ) -> ContentDetail:
        """One item's metadata and its section outline (404 when this key may not see it)."""
        detail = chosen.served.catalog.item(item_id, viewer=chosen.caller.audience())
        if detail is None:
            raise ApiError(404, "not_found", f"no content item '{item_id}'", details={"id": item_id})
        return detail

    return router
