"""The content library as a viewer may see it: a filtered listing, and one item with its outline.

The audience rule lives here, not in an adapter: a buyer never sees an internal item or an
expired one, whatever filters are asked for; a seller sees everything, flagged. Filters use the
same vocabularies as recommendations (a stage alias such as `evaluation` works), and an unknown
value is an InvalidRequestError naming the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from indexer.columns import DocumentColumns
from indexer.errors import InvalidRequestError
from indexer.store import IndexSnapshot, StoredDocument, StoredSection
from indexer.vocabulary import Vocabulary, slug
from recommender.models import Audience, Word
from recommender.policy import may_see
from recommender.resolve import canonical

ItemAudience = Literal["buyer", "internal"]
MAX_PAGE = 200


class ContentQuery(BaseModel):
    """Filters over the library; every one optional, all of them must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Word | None = Field(
        default=None, description="buying job or alias; items tagged with it", examples=["validation"]
    )
    role: Word | None = Field(
        default=None, description="buying-group role or alias; items that speak to it", examples=["cfo"]
    )
    type: Word | None = Field(default=None, description="content type", examples=["case-study"])
    audience: ItemAudience | None = Field(
        default=None, description="buyer: buyer-facing items only; internal: seller-only items only", examples=["buyer"]
    )
    expired: bool | None = Field(
        default=None,
        description="true: expired items only; false: current items only (buyers never see expired ones)",
        examples=[False],
    )
    owner: str | None = Field(
        default=None,
        description="who maintains it: part of the item's 'owner', any case (seller keys only)",
        examples=["Sam Okafor"],
    )
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description="items per page", examples=[20])
    offset: int = Field(default=0, ge=0, description="items to skip", examples=[0])


class ContentSummary(BaseModel):
    id: str
    title: str
    type: str
    summary: str
    internal: bool = Field(description="true for seller-only material (never shown to a buyer)")
    expired: bool = Field(description="past its expiry date (never shown to a buyer, never recommended)")
    stages: list[str]
    roles: list[str]
    industries: list[str]
    products: list[str]
    updated: dt.date | None
    expires: dt.date | None
    url: str | None
    source_path: str
    reading_minutes: int
    language: str


class SectionOutline(BaseModel):
    heading: str
    heading_path: list[str]
    level: int
    reading_minutes: int


class ContentDetail(ContentSummary):
    problems: list[str]
    owner: str | None = Field(description="who maintains it; only shown to sellers")
    sections: list[SectionOutline]


class ContentText(BaseModel):
    """An item's text, whole or one section of it, as a viewer may read it."""

    id: str
    title: str
    internal: bool
    section: str | None = Field(description="the section asked for; None for the whole item")
    sections: list[str] = Field(description="the item's section headings, any of which may be asked for")
    text: str


class ContentPage(BaseModel):
    items: list[ContentSummary]
    total: int = Field(description="items matching the filters, over all pages")
    offset: int
    limit: int


class LibraryFacets(BaseModel):
    """What a viewer can filter the library by, and every item it may see (id and title), for pickers."""

    types: list[str]
    stages: list[str]
    roles: list[str]
    owners: list[str] = Field(description="who maintains the items; empty for buyers")
    items: list[tuple[str, str]] = Field(description="(id, title) of every item the viewer may see, ordered by id")


@dataclass(frozen=True)
class _Filters:
    stage: str | None
    role: str | None
    type: str | None
    audience: ItemAudience | None
    expired: bool | None
    owner: str | None
    today: dt.date

    def mask(self, columns: DocumentColumns, viewer: Audience) -> np.ndarray:
        """The documents `viewer` may see that pass every filter but the owner's (a substring, checked per item)."""
        keep = columns.visible(viewer, self.today)
        if self.stage is not None:
            keep &= columns.with_stage(self.stage)
        if self.role is not None:
            keep &= columns.with_role(self.role)
        if self.type is not None:
            keep &= columns.of_types((self.type,))
        if self.audience is not None:
            keep &= columns.audience_is(self.audience)
        if self.expired is not None:
            keep &= columns.expired(self.today) == self.expired
        return keep


class Catalog:
    """Lists and describes the items of one loaded snapshot; read-only and safe to share between threads."""

    def __init__(
        self,
        snapshot: IndexSnapshot,
        *,
        vocabulary: Vocabulary | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.snapshot = snapshot
        self.vocabulary = vocabulary or Vocabulary()
        self._today = today
        self._order = np.array(
            sorted(range(len(snapshot.documents)), key=lambda i: snapshot.documents[i].meta.id), dtype=np.int64
        )

    def items(self, query: ContentQuery, *, viewer: Audience) -> ContentPage:
        """The items `viewer` may see that match every filter, ordered by id, one page at a time."""
        today = self._today()
        filters = self._filters(query, viewer, today)
        rows = self._order[filters.mask(self.snapshot.columns, viewer)[self._order]]
        if filters.owner is not None:
            rows = rows[[filters.owner in (self.snapshot.documents[r].meta.owner or "").casefold() for r in rows]]
        page = [self.snapshot.documents[r] for r in rows[query.offset : query.offset + query.limit].tolist()]
        return ContentPage(
            items=[_summary(d, today) for d in page], total=len(rows), offset=query.offset, limit=query.limit
        )

    def item(self, item_id: str, *, viewer: Audience) -> ContentDetail | None:
        """One item with its section outline, or None when there is no such item `viewer` may see."""
        if not item_id.strip():
            raise InvalidRequestError(
                "the content id is empty (or only whitespace)", hint="Give the id of an item, as listed.", field="id"
            )
        row = self.snapshot.document_index(item_id)
        today = self._today()
        if row is None or not may_see(self.snapshot.documents[row].meta, viewer, today):
            return None
        document = self.snapshot.documents[row]
        meta = document.meta
        outline = [_outline(s, meta.title) for s in self._sections(row)]
        return ContentDetail(
            **_summary(document, today).model_dump(),
            problems=list(meta.problems),
            owner=meta.owner if viewer == "seller" else None,
            sections=outline,
        )

    def facets(self, *, viewer: Audience) -> LibraryFacets:
        """The types, stages, roles and (for sellers) owners of the items `viewer` may see, and those items."""
        today = self._today()
        seen = self._order[self.snapshot.columns.visible(viewer, today)[self._order]]
        visible = [self.snapshot.documents[r].meta for r in seen.tolist()]
        return LibraryFacets(
            types=sorted({m.type for m in visible}),
            stages=list(self.vocabulary.stages.values),
            roles=list(self.vocabulary.roles.values),
            owners=sorted({m.owner for m in visible if m.owner}) if viewer == "seller" else [],
            items=[(m.id, m.title) for m in visible],
        )

    def text(self, item_id: str, *, viewer: Audience, section: str | None = None) -> ContentText | None:
        """An item's text (one section when `section` names a heading), or None when `viewer` may not see it."""
        row = self.snapshot.document_index(item_id)
        if row is None or not may_see(self.snapshot.documents[row].meta, viewer, self._today()):
            return None
        meta = self.snapshot.documents[row].meta
        sections = self._sections(row)
        headings = [s.heading or meta.title for s in sections]
        chosen = sections
        if section is not None:
            chosen = [s for s, h in zip(sections, headings, strict=True) if h.casefold() == section.strip().casefold()]
            if not chosen:
                raise InvalidRequestError(
                    f"'{item_id}' has no section '{section}'",
                    hint=f"its sections: {'; '.join(headings)}",
                    field="section",
                )
        return ContentText(
            id=meta.id,
            title=meta.title,
            internal=meta.audience != "buyer",
            section=chosen[0].heading or meta.title if section is not None else None,
            sections=headings,
            text="\n\n".join(s.text for s in chosen),
        )

    def _sections(self, doc: int) -> list[StoredSection]:
        return self.snapshot.sections.many(self.snapshot.section_rows(doc))

    def _filters(self, query: ContentQuery, viewer: Audience, today: dt.date) -> _Filters:
        return _Filters(
            stage=canonical(query.stage, self.vocabulary.stages, "stage"),
            role=canonical(query.role, self.vocabulary.roles, "role"),
            type=self._type(query.type, viewer, today),
            audience=query.audience,
            expired=query.expired,
            owner=_owner(query.owner, viewer),
            today=today,
        )

    def _type(self, value: str | None, viewer: Audience, today: dt.date) -> str | None:
        """The type filter, checked against the types `viewer` may see (a buyer is never told of internal ones)."""
        if value is None:
            return None
        kind = slug(value)
        columns = self.snapshot.columns
        known = columns.types_among(columns.visible(viewer, today))
        if kind not in known:
            raise InvalidRequestError(
                f"unknown content type '{value}'",
                hint=f"types you may see in this library: {', '.join(sorted(known))}",
                field="type",
            )
        return kind


def _owner(value: str | None, viewer: Audience) -> str | None:
    if value is None or not value.strip():
        return None
    if viewer != "seller":
        raise InvalidRequestError(
            "filtering by owner is for seller keys", hint="Leave 'owner' out with a buyer key.", field="owner"
        )
    return value.strip().casefold()


def _summary(document: StoredDocument, today: dt.date) -> ContentSummary:
    meta = document.meta
    return ContentSummary(
        id=meta.id,
        title=meta.title,
        type=meta.type,
        summary=meta.summary,
        internal=meta.audience != "buyer",
        expired=meta.is_expired(today),
        stages=list(meta.stages),
        roles=list(meta.roles),
        industries=list(meta.industries),
        products=list(meta.products),
        updated=meta.updated,
        expires=meta.expires,
        url=meta.url,
        source_path=document.rel_path,
        reading_minutes=document.reading_minutes,
        language=meta.language,
    )


def _outline(section: StoredSection, title: str) -> SectionOutline:
    return SectionOutline(
        heading=section.heading or title,
        heading_path=list(section.heading_path),
        level=section.level,
        reading_minutes=section.reading_minutes,
    )
