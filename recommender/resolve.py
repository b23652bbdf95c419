"""Turn a request's words into the canonical vocabulary, or a clear error naming the field."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.errors import InvalidRequestError
from indexer.vocabulary import Facet, Vocabulary, slug
from recommender.models import Audience, RecommendationRequest


@dataclass(frozen=True)
class ResolvedRequest:
    problems: tuple[str, ...]
    stage: str | None
    stage_given: str | None
    related_stages: tuple[str, ...]
    roles: tuple[str, ...]
    industry: str | None
    already_sent: frozenset[str]
    max_items: int
    budget_minutes: float | None
    audience: Audience
    include_types: frozenset[str]
    exclude_types: frozenset[str]


def resolve(request: RecommendationRequest, vocabulary: Vocabulary, *, known_types: frozenset[str]) -> ResolvedRequest:
    stage = canonical(request.stage, vocabulary.stages, "stage")
    return ResolvedRequest(
        problems=tuple(dict.fromkeys(p.strip() for p in request.problems)),
        stage=stage,
        stage_given=request.stage,
        related_stages=vocabulary.related_stages(stage) if stage else (),
        roles=tuple(dict.fromkeys(canonical(r, vocabulary.roles, "roles") or "" for r in request.roles)),
        industry=canonical(request.industry, vocabulary.industries, "industry"),
        already_sent=frozenset(request.already_sent),
        max_items=request.max_items,
        budget_minutes=request.reading_budget_minutes,
        audience=request.audience,
        include_types=_types(request.include_types, known_types, "include_types"),
        exclude_types=_types(request.exclude_types, known_types, "exclude_types"),
    )


def canonical(value: str | None, facet: Facet, field: str) -> str | None:
    """The canonical vocabulary value for `value`, None for no value, or an error naming the field."""
    if value is None or not value.strip():
        return None
    canonical = facet.normalize(value)
    if canonical is None:
        close = facet.suggest(value)
        guess = f" - did you mean '{close}'?" if close else ""
        raise InvalidRequestError(f"unknown {facet.name} '{value}'{guess}", hint=facet.describe(), field=field)
    return canonical


def _types(values: list[str], known: frozenset[str], field: str) -> frozenset[str]:
    wanted = frozenset(slug(v) for v in values)
    unknown = sorted(wanted - known)
    if unknown:
        raise InvalidRequestError(
            f"unknown content type(s) {', '.join(unknown)} in {field}",
            hint=f"types you may see in this library: {', '.join(sorted(known))}",
            field=field,
        )
    return wanted
