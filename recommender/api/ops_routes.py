"""GET /v1/health, GET /v1/ready and POST /v1/index/reload: is it up, what does it serve, switch builds."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Depends

from indexer.errors import RecommenderError
from recommender.api.auth import Authenticator
from recommender.api.errors import ApiError, api_error_of, documented
from recommender.api.live import LiveIndex
from recommender.api.response_examples import answer_example
from recommender.api.schemas import Health, Ready, ReloadResult


def ops_routes(live: LiveIndex, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["operations"])

    @router.get("/health", response_model=Health, responses=answer_example("alive"))
    async def health() -> Health:
        """Alive (no key needed)."""
        return Health()

    @router.get("/ready", response_model=Ready, responses=answer_example("serving"))
    async def ready() -> Ready:
        """The index being served: model, counts, build time (no key needed)."""
        return live.current.ready()

    @router.post(
        "/index/reload",
        response_model=ReloadResult,
        responses={**answer_example("unchanged"), **documented(401, 403, 409, 429)},
        dependencies=[Depends(auth.require("admin"))],
    )
    async def reload() -> ReloadResult:
        """Switch to the newest published index build with no downtime (admin keys only).

        Requests in flight finish on the old build, new requests use the new one. A build that is
        corrupt or made with another model is refused with 409, and the old one keeps serving.
        """
        serving = live.current.build_id
        try:
            return await anyio.to_thread.run_sync(live.reload)
        except RecommenderError as exc:
            error = api_error_of(exc)
            raise ApiError(
                409,
                error.code,
                f"{error.message}; build {serving} keeps serving",
                details={**error.details, "serving_build_id": serving},
            ) from exc

    return router
