"""The request a seller or deal room sends, and the Recommendation that comes back.

The same typed values come out of the CLI (`--json`), the HTTP API and batch jobs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints

MAX_PROBLEMS = 10
MAX_PROBLEM_CHARS = 1000
MAX_ITEMS = 20
MAX_WORD_CHARS = 100
MAX_ID_CHARS = 500

Problem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PROBLEM_CHARS)]
# A stage, role, industry or type: surrounding spaces dropped; empty or only whitespace is refused, never read as "".
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_WORD_CHARS)]
ContentId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID_CHARS)]
Audience = Literal["buyer", "seller"]


class RecommendationRequest(BaseModel):
    """What the buyer needs: their problems, and what is known about where they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "problems": ["month-end close takes 12 days", "auditors keep asking for reconciliation evidence"],
                    "stage": "evaluation",
                    "roles": ["cfo", "controller"],
                    "industry": "banking",
                    "max_items": 3,
                }
            ]
        },
    )

    problems: list[Problem] = Field(
        min_length=1, max_length=MAX_PROBLEMS, description="1-10 short texts in the buyer's words"
    )
    stage: Word | None = Field(
        default=None, description="buying job or an alias (awareness, evaluation, proposal, ...)"
    )
    roles: list[Word] = Field(
        default_factory=list, max_length=8, description="buying-group roles (cfo, controller, it-security, ...)"
    )
    industry: Word | None = None
    already_sent: list[ContentId] = Field(
        default_factory=list, max_length=200, description="content ids the buyer already has"
    )
    deal_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = Field(
        default=None,
        description="the deal: items it already has (from engagement events) and their near-duplicates are not sent",
    )
    max_items: StrictInt = Field(default=5, ge=1, le=MAX_ITEMS, description='a JSON number; "3" and true are refused')
    reading_budget_minutes: StrictFloat | None = Field(default=None, gt=0, le=600)
    audience: Audience = Field(
        default="buyer", description="buyer: only buyer-facing items; seller: internal items too"
    )
    include_types: list[Word] = Field(default_factory=list, max_length=50, description="only these content types")
    exclude_types: list[Word] = Field(default_factory=list, max_length=50, description="never these content types")


class Evidence(BaseModel):
    """What a reason rests on: a quoted passage and its section, or the metadata tags it fits."""

    quote: str | None = None
    section: str | None = None
    tags: list[str] = Field(default_factory=list)


class Reason(BaseModel):
    kind: Literal["problem", "stage", "role", "industry", "adds", "engagement"]
    text: str
    evidence: Evidence


class SectionRef(BaseModel):
    heading: str
    heading_path: list[str]
    reading_minutes: int


class RecommendedItem(BaseModel):
    id: str
    title: str
    type: str
    url: str | None
    source_path: str
    internal: bool = Field(description="true for seller-only material (only ever in seller answers)")
    section: SectionRef = Field(description="the part worth reading first")
    reading_minutes: int = Field(
        description="minutes to read what is recommended (the section, or the whole item when short)"
    )
    item_reading_minutes: int
    score: float
    problems: list[str] = Field(description="the stated problems it addresses")
    roles: list[str] = Field(description="the requested roles it speaks to")
    stages: list[str]
    reasons: list[Reason]


class Closest(BaseModel):
    id: str
    title: str
    similarity: float


class Gap(BaseModel):
    problem: str
    message: str
    closest: Closest | None


class Trimmed(BaseModel):
    id: str
    title: str
    reason: Literal["near-duplicate", "over-budget", "max-items"]
    detail: str


class Recognised(BaseModel):
    """What was understood from the request (or from free text)."""

    problems: list[str]
    stage: str | None
    stage_given: str | None
    related_stages: list[str]
    roles: list[str]
    industry: str | None
    audience: Audience
    competitors: list[str] = Field(default_factory=list, description="competitors named in free text (ask)")
    context: list[str] = Field(
        default_factory=list, description="the phrases of free text read as context rather than as problems (ask)"
    )


class IndexInfo(BaseModel):
    build_id: str
    built_at: str
    documents: int


class DealMemory(BaseModel):
    """What the deal already has, from its engagement events, and so was not sent again."""

    deal_id: str
    sent: list[str] = Field(description="items the deal already has")
    near_duplicates: list[str] = Field(description="items withheld as near-duplicates of those")
    message: str


class Recommendation(BaseModel):
    items: list[RecommendedItem]
    gaps: list[Gap]
    trimmed: list[Trimmed]
    recognised: Recognised
    index: IndexInfo
    deal: DealMemory | None = Field(default=None, description="when the request named a deal_id")


class RoleRecommendation(BaseModel):
    role: str
    recommendation: Recommendation


class PerRoleRecommendation(BaseModel):
    """One short set per role, with no item repeated across roles."""

    roles: list[RoleRecommendation]
