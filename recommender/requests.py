"""Requests from plain data: validated before anything heavy loads, so a bad request is refused at once.

This module imports no index, model or search library: the CLI checks a request here before it
opens the index, and the service uses the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
    "max_items": 'Ask for 1-20 items, as a JSON number (3, not "3" or true).',
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
            length, most = len(str(data["problems"][loc[1]])), error["ctx"]["max_length"]
            return f"problem {number} is {length} characters long; at most {most} are allowed"
    if loc[0] == "problems" and error["type"] == "too_short":
        return "no problem given"
    if loc[0] == "problems" and error["type"] == "too_long":
        return f"{len(data['problems'])} problems given; at most 10 are allowed"
    return f"{'.'.join(map(str, loc))}: {plain_message(error)}"


_NUMBER_TYPES = {"int_type": "a whole number such as 3", "float_type": "a number such as 10 or 2.5"}


def plain_message(error: Mapping[str, Any]) -> str:
    """Pydantic's message for one error, said plainly where it is terse: a wrong JSON type, an empty string."""
    kind = error.get("type")
    if kind in _NUMBER_TYPES:
        return f"expected {_NUMBER_TYPES[kind]} (a JSON number), not {_shown(error.get('input'))}"
    if kind == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return "empty (or only whitespace); give a value or leave it out"
    return str(error.get("msg", "invalid"))


def _shown(value: Any) -> str:
    """A given value as the caller wrote it in JSON, cut short: '"3"', 'true', '3.5'."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."
