"""GET /v1/health, GET /v1/ready and POST /v1/index/reload[-all]: is it up, what does it serve, switch builds."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Depends, Request

from indexer.errors import RecommenderError
from recommender.api.auth import Authenticator, Caller, Chosen, LibraryQuery, bearer
from recommender.api.errors import ApiError, api_error_of, documented
from recommender.api.libraries import Libraries, Library
from recommender.api.response_examples import answer_example
from recommender.api.schemas import Health, Ready, ReloadResult, ReloadResults


def ops_routes(libraries: Libraries, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["operations"])
    admin = auth.require("admin")

    @router.get("/health", response_model=Health, responses=answer_example("alive"))
    async def health() -> Health:
        """Alive (no key needed)."""
        return Health()

    @router.get(
        "/ready", response_model=Ready, responses={**answer_example("serving"), **documented(401, 403, 404, 422)}
    )
    async def ready(request: Request, library: LibraryQuery = None) -> Ready:
        """The index being served: model, counts, build time (no key needed on a server with one library).

        On a server with several libraries, send a key (and `library` when it has several) to see its
        library's build; without a key the answer only says that every library is loaded.
        """
        credentials = await bearer(request)  # optional, so not declared: the schema says no key is needed
        if credentials is None and library is None:
            only = libraries.only()
            return only.ready() if only is not None else Ready()
        caller = auth.identify(credentials)
        return libraries.choose(caller.libraries, library, caller.who).ready()

    @router.post(
        "/index/reload",
        response_model=ReloadResult,
        responses={**answer_example("unchanged"), **documented(401, 403, 404, 409, 422, 429)},
    )
    async def reload(chosen: Chosen = Depends(auth.chooser(libraries, "admin"))) -> ReloadResult:
        """Switch one library to its newest published index build with no downtime (admin keys only).

        Requests in flight finish on the old build, new requests use the new one; no other library's build
        is touched. A build that is corrupt or made with another model is refused with 409, and the old one
        keeps serving. `library` chooses when the key may reload several.
        """
        return await _reloaded(chosen.library)

    @router.post(
        "/index/reload-all",
        response_model=ReloadResults,
        responses={**answer_example("all_unchanged"), **documented(401, 403, 429)},
    )
    async def reload_all(caller: Caller = Depends(admin)) -> ReloadResults:
        """Switch every library this admin key may reload to its newest published build, one after another.

        A library whose newest build is refused keeps serving its old one and is listed under `refused`.
        """
        results, refused = [], {}
        for library in libraries.allowed(caller.libraries, caller.who):
            try:
                results.append(await _reloaded(library))
            except ApiError as error:
                refused[library.name] = error.message
        return ReloadResults(libraries=results, refused=refused)

    return router


async def _reloaded(library: Library) -> ReloadResult:
    serving = library.current.build_id
    try:
        return await anyio.to_thread.run_sync(library.reload)
    except RecommenderError as exc:
        error = api_error_of(exc)
        raise ApiError(
            409,
            error.code,
            f"{error.message}; build {serving} keeps serving",
            details={**error.details, "serving_build_id": serving, "library": library.name},
        ) from exc
