"""Reasons a seller could paste into an email, each tied to its evidence.

Every reason carries what it rests on: the quote (at most ~240 characters) and its section
heading for a problem it answers, or the metadata tags for a stage, role or industry fit. The
quote is the item's sentence that best answers that problem (recommender/quotes.py): a whole
sentence, list item or table row with its header - never a fragment cut by a passage edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from indexer.store import IndexSnapshot
from recommender.candidates import Match
from recommender.curator import Pick
from recommender.models import Evidence, Reason
from recommender.quotes import QUOTE_CHARS, Quoter
from recommender.resolve import ResolvedRequest

ROLE_LABELS = {
    "cfo": "the CFO",
    "controller": "the controller",
    "it-security": "IT security",
    "cio": "the CIO",
    "procurement": "procurement",
    "ap-ar-lead": "the AP/AR lead",
    "end-user": "the accountants who will use it",
    "legal": "legal",
}
STAGE_LABELS = {
    "problem-identification": "identifying the problem",
    "solution-exploration": "exploring solutions",
    "requirements-building": "building requirements",
    "supplier-selection": "choosing a supplier",
    "validation": "validating the choice",
    "consensus-creation": "building consensus",
}


__all__ = ["QUOTE_CHARS", "reasons_for"]


def reasons_for(
    pick: Pick,
    picks: Sequence[Pick],
    *,
    snapshot: IndexSnapshot,
    request: ResolvedRequest,
    quoter: Quoter,
    claims: Sequence[Match],
) -> list[Reason]:
    """Up to three reasons; `claims` are the matches the item is said to answer (the first is why it was picked)."""
    matches = list(claims)
    reasons = [_problem_reason(matches[0], snapshot, request, quoter)]
    adds = _adds_reason(pick, picks, matches, snapshot, request, quoter)
    if adds is not None:
        reasons.append(adds)
    elif len(matches) > 1:
        reasons.append(_problem_reason(matches[1], snapshot, request, quoter))
    fit = _fit_reason(pick, snapshot, request, roles_said=adds is not None and adds.evidence.quote is None)
    if fit is not None:
        reasons.append(fit)
    return reasons[:3]


def _problem_reason(match: Match, snapshot: IndexSnapshot, request: ResolvedRequest, quoter: Quoter) -> Reason:
    problem = request.problems[match.problem]
    piece = snapshot.pieces[match.piece]
    heading = snapshot.sections[piece.section].heading or snapshot.documents[piece.doc].meta.title
    quote = quoter.quote(match)
    return Reason(
        kind="problem",
        text=f'Addresses "{problem}" - see "{heading}".',
        evidence=Evidence(quote=quote, section=heading),
    )


def _adds_reason(
    pick: Pick,
    picks: Sequence[Pick],
    matches: Sequence[Match],
    snapshot: IndexSnapshot,
    request: ResolvedRequest,
    quoter: Quoter,
) -> Reason | None:
    others = [p for p in picks if p is not pick]
    if not others:
        return None
    for match in matches:
        if all(match.problem not in {m.problem for m in p.candidate.matches} for p in others):
            reason = _problem_reason(match, snapshot, request, quoter)
            problem = request.problems[match.problem]
            return Reason(
                kind="adds", text=f'The only pick in this set that covers "{problem}".', evidence=reason.evidence
            )
    served = set(r for p in others for r in p.candidate.fit.roles)
    unique_roles = [r for r in pick.candidate.fit.roles if r not in served]
    if unique_roles:
        return Reason(
            kind="adds",
            text=f"Adds the view of {_join(ROLE_LABELS[r] for r in unique_roles)}, which no other pick speaks to.",
            evidence=Evidence(tags=[f"role:{r}" for r in unique_roles]),
        )
    return None


def _fit_reason(pick: Pick, snapshot: IndexSnapshot, request: ResolvedRequest, *, roles_said: bool) -> Reason | None:
    fit = pick.candidate.fit
    meta = snapshot.documents[pick.candidate.doc].meta
    if fit.stage == "named" and request.stage:
        return Reason(
            kind="stage",
            text=f"Made for buyers {STAGE_LABELS[request.stage]} ({request.stage}), where this buyer is.",
            evidence=Evidence(tags=[f"stage:{s}" for s in meta.stages]),
        )
    if fit.roles and not roles_said:
        return Reason(
            kind="role",
            text=f"Speaks to {_join(ROLE_LABELS[r] for r in fit.roles)}.",
            evidence=Evidence(tags=[f"role:{r}" for r in fit.roles]),
        )
    if fit.industry and request.industry:
        return Reason(
            kind="industry",
            text=f"Written for {request.industry} organisations.",
            evidence=Evidence(tags=[f"industry:{request.industry}"]),
        )
    if fit.stage == "related" and request.stage:
        near = [s for s in meta.stages if s in request.related_stages]
        return Reason(
            kind="stage",
            text=f"Serves the job next to theirs ({', '.join(near)}); buyers move back and forth between them.",
            evidence=Evidence(tags=[f"stage:{s}" for s in near]),
        )
    return None


def _join(labels: Iterable[str]) -> str:
    items = list(labels)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
