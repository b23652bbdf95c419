"""Requests from plain data: validated before anything heavy loads, so a bad request is refused at once.

This module imports no index, model or search library: the CLI checks a request here before it
opens the index, and the service uses the same functions.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from indexer.errors import InvalidRequestError
from indexer.vocabulary import Vocabulary
from recommender.models import RecommendationRequest
from recommender.resolve import canonical


def parse_request(data: dict[str, Any]) -> RecommendationRequest:
    """A RecommendationRequest from plain data, or an InvalidRequestError that names the field."""
    try:
        return RecommendationRequest.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InvalidRequestError(
            _describe(error, data), hint=_HINTS.get(str(error["loc"][0]), ""), field=".".join(map(str, error["loc"]))
        ) from exc


def check_vocabulary(request: RecommendationRequest, vocabulary: Vocabulary) -> None:
    """Refuse an unknown stage, role or industry (with the closest known spelling) before the index is opened."""
    canonical(request.stage, vocabulary.stages, "stage")
    for role in request.roles:
        canonical(role, vocabulary.roles, "roles")
    canonical(request.industry, vocabulary.industries, "industry")


_HINTS = {
    "problems": "Give 1-10 problems, each a sentence or two in the buyer's words (at most 1,000 characters).",
    "max_items": "Ask for 1-20 items.",
    "reading_budget_minutes": "Give a positive number of minutes.",
    "audience": "Use 'buyer' (only buyer-facing content) or 'seller' (internal content too).",
}


def _describe(error: Any, data: dict[str, Any]) -> str:
    loc = error["loc"]
    if loc[0] == "problems" and len(loc) > 1:
        number = int(loc[1]) + 1
        if error["type"] == "string_too_short":
            return f"problem {number} is empty"
        if error["type"] == "string_too_long":
            return (
                f"problem {number} is {len(str(data['problems'][loc[1]]))} characters long; at most "
                f"{error['ctx']['max_length']} are allowed"
            )
    if loc[0] == "problems" and error["type"] == "too_short":
        return "no problem given"
    if loc[0] == "problems" and error["type"] == "too_long":
        return f"{len(data['problems'])} problems given; at most 10 are allowed"
    return f"{'.'.join(map(str, loc))}: {error['msg']}"
