"""Recognise stage, roles and industry in a seller's sentence, from the configured vocabularies.

"CFO at a regional bank worried about implementation risk, comparing us with two vendors" ->
roles [cfo], industry financial-services, stage supplier-selection. Every alias of the
vocabularies counts, except short or everyday words that would misfire in prose ("it", "ap",
"closing"); a few phrasings buyers use for a buying job are recognised as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.vocabulary import Facet, Vocabulary

AMBIGUOUS = frozenset({
    "it", "ap", "ar", "user", "users", "problem", "security", "research", "education", "proof",
    "trial", "closing", "commit", "selection", "alignment", "approval", "health", "tech",
    "technology", "demo", "consensus", "requirements", "decision", "exploration", "foundation",
    "discovery", "evaluation", "treasury", "accountant", "accountants", "sourcing",
})

STAGE_PHRASES: dict[str, str] = {
    r"compar\w* (?:us|vendors?|suppliers?|tools?|options|platforms?)": "supplier-selection",
    r"(?:two|three|several|other|\d) (?:vendors|suppliers|competitors)": "supplier-selection",
    r"short-?list\w*": "supplier-selection",
    r"pric\w+ (?:negotiation|proposal)|final negotiations?": "supplier-selection",
    r"security review|due diligence|reference calls?|check(?:ing)? references|proof of concept": "validation",
    r"business case|get (?:the )?(?:board|cfo|team|buying group) (?:on board|to agree)|sign-?off": "consensus-creation",
    r"(?:list|writing|write|gathering) (?:of )?requirements|an rfp|requirements list": "requirements-building",
    r"just (?:started|starting) (?:looking|to look)|not sure (?:there is|what) (?:a|the) problem": "problem-identification",
    r"what (?:options|kinds of tools) exist|learning about (?:options|tools)": "solution-exploration",
}


@dataclass(frozen=True)
class Recognised:
    stage: str | None
    roles: tuple[str, ...]
    industry: str | None


def recognise(text: str, vocabulary: Vocabulary) -> Recognised:
    lowered = " ".join(text.lower().split())
    stage = _first(lowered, vocabulary.stages) or _stage_phrase(lowered)
    return Recognised(stage=stage, roles=tuple(_all(lowered, vocabulary.roles)), industry=_first(lowered, vocabulary.industries))


def _spellings(facet: Facet) -> list[tuple[re.Pattern[str], str]]:
    pairs = sorted(((s, v) for s, v in facet.spellings().items() if s not in AMBIGUOUS and len(s) > 2 or s in facet.values), key=lambda p: -len(p[0]))
    return [(re.compile(rf"(?<![\w-]){re.escape(s)}(?![\w-])"), v) for s, v in pairs]


def _all(text: str, facet: Facet) -> list[str]:
    found: dict[int, str] = {}
    for pattern, value in _spellings(facet):
        for match in pattern.finditer(text):
            found.setdefault(match.start(), value)
    return list(dict.fromkeys(found[k] for k in sorted(found)))


def _first(text: str, facet: Facet) -> str | None:
    values = _all(text, facet)
    return values[0] if values else None


def _stage_phrase(text: str) -> str | None:
    hits = [(m.start(), stage) for pattern, stage in STAGE_PHRASES.items() for m in re.finditer(pattern, text)]
    return min(hits)[1] if hits else None
