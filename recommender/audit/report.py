"""The audit report: typed values a content team acts on, the same in JSON, HTML and the terminal."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from indexer.store import StoredDocument
from recommender.models import Closest


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ItemRef(_Frozen):
    """One content item, as the audit names it: enough to find it and its owner."""

    id: str
    title: str
    path: str
    owner: str | None
    audience: Literal["buyer", "internal"]
    updated: dt.date | None
    expires: dt.date | None

    @classmethod
    def of(cls, document: StoredDocument) -> ItemRef:
        m = document.meta
        return cls(
            id=m.id,
            title=m.title,
            path=document.rel_path,
            owner=m.owner,
            audience=m.audience,
            updated=m.updated,
            expires=m.expires,
        )


class ClusterMember(_Frozen):
    item: ItemRef
    section: str | None = Field(default=None, description="the section heading, for section clusters")
    expired: bool


class PairSimilarity(_Frozen):
    first: str
    second: str
    similarity: float = Field(description="cosine similarity of the two mean vectors")
    alignment: float | None = Field(
        default=None,
        description="items: how well each item's passages find a counterpart in the other (the lower direction)",
    )
    overlap: float | None = Field(default=None, description="sections: Jaccard overlap of their word 3-grams")


class DuplicateCluster(_Frozen):
    """Items (or sections of different items) that say the same thing; the one to keep comes first."""

    kind: Literal["item", "section"]
    members: tuple[ClusterMember, ...]
    pairs: tuple[PairSimilarity, ...] = Field(description="the linked pairs and their cosine similarity, highest first")
    keep: str = Field(description="id of the item to keep")
    newest: str | None = Field(description="id of the most recently updated member, when any has a date")
    advice: str

    @property
    def similarity(self) -> float:
        return max(p.similarity for p in self.pairs)


class FreshnessFinding(_Frozen):
    item: ItemRef
    status: Literal["expired", "stale", "withheld"]
    detail: str


class MissingMetadata(_Frozen):
    item: ItemRef
    missing: tuple[Literal["audience", "stages", "roles"], ...]


class CoverageCell(_Frozen):
    stage: str
    column: str
    count: int
    items: tuple[str, ...]
    flag: Literal["empty", "thin", "ok"]


class CoverageMatrix(_Frozen):
    """Buying job x role (or industry): how many sendable buyer-facing items each cell has."""

    dimension: Literal["role", "industry"]
    stages: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[CoverageCell, ...] = Field(description="row by row: every stage x every column")
    thin_at_most: int
    untagged: tuple[str, ...] = Field(description="sendable items missing a stage or a column tag, counted in no cell")

    def cell(self, stage: str, column: str) -> CoverageCell:
        return self.cells[self.stages.index(stage) * len(self.columns) + self.columns.index(column)]

    def flagged(self, flag: Literal["empty", "thin"]) -> tuple[CoverageCell, ...]:
        return tuple(c for c in self.cells if c.flag == flag)


class ProblemGap(_Frozen):
    problem: str
    closest: Closest | None
    message: str


class ProblemGaps(_Frozen):
    source: str
    checked: int
    gaps: tuple[ProblemGap, ...]


class NeverRecommended(_Frozen):
    source: str
    results: int = Field(description="batch results read")
    damaged_lines: int = Field(description="results lines that could not be read (a truncated last line, say)")
    items: tuple[ItemRef, ...]

    @property
    def buyer_facing(self) -> int:
        return sum(1 for i in self.items if i.audience == "buyer")


class Thresholds(_Frozen):
    duplicate_screen: float
    duplicate_alignment: float
    section_overlap: float
    section_min_words: int
    answers: float
    stale_months: int
    thin_at_most: int


class Fix(_Frozen):
    """One line of the "fix first" list."""

    rank: int
    severity: Literal["blocker", "high", "medium", "low"]
    count: int
    what: str
    action: str


class AuditSummary(_Frozen):
    """The counts at the top of the report; empty and thin cells are those of the stage x role matrix."""

    documents: int
    sendable: int
    duplicate_clusters: int
    section_clusters: int
    expired: int
    stale: int
    undated: int
    missing_metadata: int
    empty_cells: int
    thin_cells: int
    problems_checked: int | None
    problem_gaps: int | None
    never_recommended: int | None


class Unopened(_Frozen):
    item: ItemRef
    deals: int = Field(description="deals it was sent to; no buyer in any of them opened it")


class StageWinner(_Frozen):
    stage: str
    item: ItemRef
    read: int = Field(description="deals at this stage whose buyers read it to the end")
    deals: int
    rate: float = Field(description="smoothed, age-weighted read-to-the-end rate")


class EngagementFindings(_Frozen):
    """From the deal-room engagement events stored beside the index."""

    events: int
    library_rate: float = Field(description="the library's read-to-the-end rate over every send")
    sent_never_opened: tuple[Unopened, ...]
    working: tuple[StageWinner, ...] = Field(description="per stage, items read more than the library's rate")


class AuditReport(_Frozen):
    index: str
    build_id: str
    today: dt.date
    thresholds: Thresholds
    documents: int
    sendable: int = Field(description="buyer-facing items that are not expired")
    duplicates: tuple[DuplicateCluster, ...]
    section_duplicates: tuple[DuplicateCluster, ...]
    expired: tuple[FreshnessFinding, ...]
    stale: tuple[FreshnessFinding, ...]
    undated: tuple[ItemRef, ...]
    missing_metadata: tuple[MissingMetadata, ...]
    coverage_roles: CoverageMatrix
    coverage_industries: CoverageMatrix
    problem_gaps: ProblemGaps | None
    never_recommended: NeverRecommended | None
    engagement: EngagementFindings | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fix_first(self) -> tuple[Fix, ...]:
        from recommender.audit.fixes import fix_first  # the ranking reads the whole report

        return fix_first(self)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> AuditSummary:
        roles, gaps, unused = self.coverage_roles, self.problem_gaps, self.never_recommended
        return AuditSummary(
            documents=self.documents,
            sendable=self.sendable,
            duplicate_clusters=len(self.duplicates),
            section_clusters=len(self.section_duplicates),
            expired=len(self.expired),
            stale=len(self.stale),
            undated=len(self.undated),
            missing_metadata=len(self.missing_metadata),
            empty_cells=len(roles.flagged("empty")),
            thin_cells=len(roles.flagged("thin")),
            problems_checked=gaps.checked if gaps else None,
            problem_gaps=len(gaps.gaps) if gaps else None,
            never_recommended=len(unused.items) if unused else None,
        )
