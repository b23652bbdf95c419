"""POST /v1/recommendations and POST /v1/ask: thin adapters over Recommender.recommend and .ask."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response

from recommender.api.auth import Authenticator, Chosen
from recommender.api.errors import documented
from recommender.api.examples import ASK_EXAMPLES, RECOMMENDATION_EXAMPLES
from recommender.api.libraries import Libraries
from recommender.api.limits import Workers
from recommender.api.response_examples import answer_example
from recommender.api.schemas import AskRequest
from recommender.models import Recommendation, RecommendationRequest

ERRORS = documented(400, 401, 403, 404, 408, 413, 422, 429)


def _json(answer: Recommendation) -> Response:
    """The answer serialised once by pydantic; FastAPI would validate the returned model again before serialising it."""
    return Response(answer.model_dump_json(), media_type="application/json")


def recommend_routes(libraries: Libraries, auth: Authenticator, workers: Workers) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["recommend"])
    reader = Depends(auth.chooser(libraries, "buyer", "seller"))

    @router.post(
        "/recommendations",
        response_model=Recommendation,
        responses={**answer_example("deal_room"), **ERRORS},
    )
    async def recommendations(
        body: Annotated[RecommendationRequest, Body(openapi_examples=RECOMMENDATION_EXAMPLES)],
        chosen: Chosen = reader,
    ) -> Response:
        """A short, reasoned set of content for the buyer's problems, with the gaps nothing answers.

        A buyer key is always served buyer-facing content only, whatever `audience` says; a seller
        key gets internal content too (each item flagged `internal`) unless it asks for `audience: buyer`.
        """
        return _json(await workers.run(chosen.served.recommender.recommend, chosen.caller.served(body)))

    @router.post(
        "/ask",
        response_model=Recommendation,
        responses={**answer_example("free_text"), **ERRORS},
    )
    async def ask(
        body: Annotated[AskRequest, Body(openapi_examples=ASK_EXAMPLES)], chosen: Chosen = reader
    ) -> Response:
        """Free text from a seller, as `recommender ask`: stage, roles and industry are recognised from it."""
        recommender, audience = chosen.served.recommender, chosen.caller.audience(body.audience)
        return _json(await workers.run(lambda: recommender.ask(body.text, audience=audience, max_items=body.max_items)))

    return router
