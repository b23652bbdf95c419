"""Controlled vocabularies: buying stages, roles, industries and content types, with aliases.

The canonical buying stages are Gartner's six B2B buying jobs. Aliases map the words sellers and
CRMs use (awareness, evaluation, proposal, ...) onto them. An organisation can extend every
mapping with a YAML file:

    stages: {pilot: validation, "business review": consensus-creation}
    roles: {"head of accounting": controller}
    industries: {fintech: financial-services}
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import yaml

from indexer.errors import RecommenderError

STAGES: tuple[str, ...] = (
    "problem-identification",
    "solution-exploration",
    "requirements-building",
    "supplier-selection",
    "validation",
    "consensus-creation",
)

STAGE_ALIASES: dict[str, str] = {
    "awareness": "problem-identification",
    "problem": "problem-identification",
    "discovery": "problem-identification",
    "prospecting": "problem-identification",
    "qualification": "problem-identification",
    "exploration": "solution-exploration",
    "consideration": "solution-exploration",
    "research": "solution-exploration",
    "education": "solution-exploration",
    "demo": "solution-exploration",
    "requirements": "requirements-building",
    "scoping": "requirements-building",
    "evaluation": "requirements-building",
    "technical-evaluation": "requirements-building",
    "rfp": "requirements-building",
    "selection": "supplier-selection",
    "decision": "supplier-selection",
    "vendor-selection": "supplier-selection",
    "proposal": "supplier-selection",
    "negotiation": "supplier-selection",
    "commit": "supplier-selection",
    "proof": "validation",
    "poc": "validation",
    "proof-of-concept": "validation",
    "due-diligence": "validation",
    "security-review": "validation",
    "trial": "validation",
    "consensus": "consensus-creation",
    "alignment": "consensus-creation",
    "business-case": "consensus-creation",
    "approval": "consensus-creation",
    "closing": "consensus-creation",
}

# Jobs that sit next to each other in a typical purchase; buyers move back and forth between them.
RELATED_STAGES: dict[str, tuple[str, ...]] = {
    "problem-identification": ("solution-exploration",),
    "solution-exploration": ("problem-identification", "requirements-building"),
    "requirements-building": ("solution-exploration", "supplier-selection", "validation"),
    "supplier-selection": ("requirements-building", "validation", "consensus-creation"),
    "validation": ("supplier-selection", "requirements-building", "consensus-creation"),
    "consensus-creation": ("validation", "supplier-selection"),
}

ROLES: tuple[str, ...] = (
    "cfo",
    "controller",
    "it-security",
    "cio",
    "procurement",
    "ap-ar-lead",
    "end-user",
    "legal",
)

ROLE_ALIASES: dict[str, str] = {
    "chief financial officer": "cfo",
    "vp finance": "cfo",
    "vp of finance": "cfo",
    "finance director": "cfo",
    "head of finance": "cfo",
    "chief accounting officer": "controller",
    "cao": "controller",
    "financial controller": "controller",
    "accounting manager": "controller",
    "assistant controller": "controller",
    "head of accounting": "controller",
    "it security": "it-security",
    "security": "it-security",
    "ciso": "it-security",
    "infosec": "it-security",
    "security team": "it-security",
    "chief information officer": "cio",
    "it": "cio",
    "head of it": "cio",
    "cto": "cio",
    "purchasing": "procurement",
    "sourcing": "procurement",
    "vendor management": "procurement",
    "ap": "ap-ar-lead",
    "ar": "ap-ar-lead",
    "accounts payable": "ap-ar-lead",
    "accounts receivable": "ap-ar-lead",
    "ap lead": "ap-ar-lead",
    "ar lead": "ap-ar-lead",
    "ap/ar": "ap-ar-lead",
    "treasury": "ap-ar-lead",
    "accountant": "end-user",
    "accountants": "end-user",
    "staff accountant": "end-user",
    "user": "end-user",
    "users": "end-user",
    "end users": "end-user",
    "counsel": "legal",
    "general counsel": "legal",
    "lawyer": "legal",
}

INDUSTRIES: tuple[str, ...] = (
    "financial-services",
    "healthcare",
    "manufacturing",
    "software",
    "retail",
    "nonprofit",
    "logistics",
)

INDUSTRY_ALIASES: dict[str, str] = {
    "bank": "financial-services",
    "banking": "financial-services",
    "credit union": "financial-services",
    "insurance": "financial-services",
    "fintech": "financial-services",
    "financial services": "financial-services",
    "hospital": "healthcare",
    "health": "healthcare",
    "health system": "healthcare",
    "manufacturer": "manufacturing",
    "industrial": "manufacturing",
    "saas": "software",
    "tech": "software",
    "technology": "software",
    "retailer": "retail",
    "ecommerce": "retail",
    "e-commerce": "retail",
    "non-profit": "nonprofit",
    "not-for-profit": "nonprofit",
    "charity": "nonprofit",
    "foundation": "nonprofit",
    "transport": "logistics",
    "transportation": "logistics",
    "shipping": "logistics",
    "freight": "logistics",
}

TYPES: tuple[str, ...] = (
    "case-study",
    "whitepaper",
    "one-pager",
    "roi-guide",
    "battlecard",
    "faq",
    "implementation-guide",
    "security",
    "pricing",
    "demo",
    "webinar",
    "analyst-report",
    "playbook",
)


def slug(value: str) -> str:
    """Lowercase, trimmed, inner whitespace and underscores as single hyphens."""
    return re.sub(r"[\s_]+", "-", value.strip().lower())


@dataclass(frozen=True)
class Facet:
    """One vocabulary: its canonical values and the aliases mapped onto them."""

    name: str
    values: tuple[str, ...]
    aliases: Mapping[str, str]

    def normalize(self, value: str) -> str | None:
        """The canonical value for `value`, or None when it is not in the vocabulary."""
        key = slug(value)
        if key in self.values:
            return key
        return self.aliases.get(key) or self.aliases.get(value.strip().lower())

    def spellings(self) -> dict[str, str]:
        """Every accepted spelling (canonical, hyphenated and spaced) -> canonical value."""
        out = {v: v for v in self.values}
        out.update({v.replace("-", " "): v for v in self.values})
        for alias, target in self.aliases.items():
            out[alias] = target
            out[alias.replace("-", " ")] = target
        return out

    def suggest(self, value: str) -> str | None:
        """The accepted spelling closest to a misspelt `value` ('evalution' -> 'evaluation'), or None."""
        close = difflib.get_close_matches(slug(value), sorted({slug(s) for s in self.spellings()}), n=1, cutoff=0.75)
        return close[0] if close else None

    def describe(self) -> str:
        """A line listing the valid values and aliases, for error messages."""
        alias_text = ", ".join(f"{a} -> {t}" for a, t in sorted(self.aliases.items()))
        return f"valid {self.name}s: {', '.join(self.values)}; aliases: {alias_text}"


@dataclass(frozen=True)
class Vocabulary:
    """The stage, role and industry vocabularies in force."""

    stages: Facet = field(default_factory=lambda: _facet("stage", STAGES, STAGE_ALIASES))
    roles: Facet = field(default_factory=lambda: _facet("role", ROLES, ROLE_ALIASES))
    industries: Facet = field(default_factory=lambda: _facet("industry", INDUSTRIES, INDUSTRY_ALIASES))

    def related_stages(self, stage: str) -> tuple[str, ...]:
        return RELATED_STAGES.get(stage, ())


def _facet(name: str, values: tuple[str, ...], aliases: Mapping[str, str]) -> Facet:
    return Facet(name=name, values=values, aliases=MappingProxyType(dict(aliases)))


def load_vocabulary(path: Path | None) -> Vocabulary:
    """The default vocabulary, extended with an organisation's alias file when one is given."""
    base = Vocabulary()
    if path is None:
        return base
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RecommenderError(
            f"cannot read the vocabulary file {path}: {exc}",
            hint="Fix the file (YAML with stages/roles/industries alias maps) or unset RECOMMENDER_VOCABULARY.",
        ) from exc
    return Vocabulary(
        stages=_extend(base.stages, data.get("stages"), path),
        roles=_extend(base.roles, data.get("roles"), path),
        industries=_extend(base.industries, data.get("industries"), path),
    )


def _extend(facet: Facet, extra: object, path: Path) -> Facet:
    if not extra:
        return facet
    if not isinstance(extra, dict):
        raise RecommenderError(
            f"{path}: '{facet.name}s' must map aliases to canonical values",
            hint=f"Write it as '{facet.name}s: {{alias: canonical}}'.",
        )
    aliases = dict(facet.aliases)
    for alias, target in extra.items():
        canonical = facet.normalize(str(target))
        if canonical is None:
            raise RecommenderError(
                f"{path}: alias '{alias}' points at unknown {facet.name} '{target}'",
                hint=facet.describe(),
            )
        aliases[slug(str(alias))] = canonical
        aliases[str(alias).strip().lower()] = canonical
    return _facet(facet.name, facet.values, aliases)
