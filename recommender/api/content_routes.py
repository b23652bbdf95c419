"""GET /v1/content and GET /v1/content/{id}: the library as the key's audience may see it (Catalog)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from recommender.api.auth import Authenticator, Caller
from recommender.api.errors import ApiError, documented
from recommender.api.examples import CONTENT_ID_EXAMPLE
from recommender.api.limits import Workers
from recommender.api.live import LiveIndex
from recommender.api.response_examples import answer_example
from recommender.catalog import ContentDetail, ContentPage, ContentQuery


def content_routes(live: LiveIndex, auth: Authenticator, workers: Workers) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["content"])
    reader = Depends(auth.require("buyer", "seller"))

    @router.get(
        "/content",
        response_model=ContentPage,
        responses={**answer_example("page"), **documented(401, 403, 422, 429)},
    )
    async def list_content(query: Annotated[ContentQuery, Query()], caller: Caller = reader) -> ContentPage:
        """The items this key may see, filtered by stage, role, type and audience, ordered by id.

        A buyer key never sees internal or expired items; a seller key sees them flagged.
        """
        return await workers.run(lambda: live.current.catalog.items(query, viewer=caller.audience()))

    @router.get(
        "/content/{item_id:path}",
        response_model=ContentDetail,
        responses={**answer_example("item"), **documented(401, 403, 404, 422, 429)},
    )
    async def get_content(
        item_id: Annotated[str, Path(description="content id", examples=[CONTENT_ID_EXAMPLE])], caller: Caller = reader
    ) -> ContentDetail:
        """One item's metadata and its section outline (404 when this key may not see it)."""
        detail = live.current.catalog.item(item_id, viewer=caller.audience())
        if detail is None:
            raise ApiError(404, "not_found", f"no content item '{item_id}'", details={"id": item_id})
        return detail

    return router
