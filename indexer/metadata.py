"""Front matter -> validated, normalised content metadata (pydantic), with fallbacks.

Real libraries often have no front matter, so every field falls back to something sensible:
the id to the path, the title to the first heading, the summary to the first paragraph, and the
audience to `internal` - nothing reaches a buyer unless someone marked it buyer-facing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import unicodedata
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from indexer.issues import FileIssue, is_invisible, printable
from indexer.vocabulary import TYPES, Facet, Vocabulary, slug

if TYPE_CHECKING:
    from indexer.parse import ParsedDocument  # markdown-it is for indexing; reading an index needs only ContentMeta

Audience = Literal["buyer", "internal"]
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_LIST_FIELDS = ("stages", "roles", "industries", "products", "problems")


class ContentMeta(BaseModel):
    """The normalised metadata of one content item."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    type: str = "unknown"
    summary: str = ""
    audience: Audience = "internal"
    audience_given: bool = False
    stages: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    updated: dt.date | None = None
    expires: dt.date | None = None
    expires_invalid: str | None = None  # an 'expires' that is not a date, as written: withheld from buyers until fixed
    owner: str | None = None
    url: str | None = None
    language: str = "en"

    @field_validator("url", mode="after")
    @classmethod
    def _safe_url(cls, value: str | None) -> str | None:
        """A link is served only with a safe scheme, whatever an index on disk holds (the build reports the rest)."""
        return value if value is None or is_safe_url(value) else None

    def is_expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today


_PRINTABLE_ASCII = re.compile(r"[!-~]+")  # no space, no control character: the common case, checked at once


def is_safe_url(value: str) -> bool:
    """http(s) with a host, or mailto with an address; nothing with spaces or control characters."""
    if not value:
        return False
    if not _PRINTABLE_ASCII.fullmatch(value) and any(
        ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in value
    ):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.hostname)
    return parts.scheme.lower() == "mailto" and "@" in parts.path


class _RawFrontMatter(BaseModel):
    """Front matter as written: lenient shapes, checked field by field."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    title: str | None = None
    type: str | None = None
    summary: str | None = None
    audience: str | None = None
    stages: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    updated: dt.date | None = None
    expires: dt.date | None = None
    owner: str | None = None
    url: str | None = None
    language: str | None = None

    @field_validator(*_LIST_FIELDS, mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            return [str(v) for v in value if v is not None]
        return value

    @field_validator("id", "title", "summary", "owner", "url", "type", "audience", "language", mode="before")
    @classmethod
    def _textify(cls, value: Any) -> Any:
        return str(value).strip() if isinstance(value, (int, float)) else value


def build_metadata(
    doc: ParsedDocument, *, rel_path: str, source: str, vocabulary: Vocabulary
) -> tuple[ContentMeta, list[FileIssue]]:
    """Validate and normalise a document's front matter; every problem becomes an issue."""
    reporter = _Reporter(rel_path, source)
    expires_invalid = _invalid_expiry(doc.front_matter)
    raw = _validated(doc.front_matter, reporter)
    meta = ContentMeta(
        id=_id(raw.id, rel_path, reporter),
        title=raw.title or doc.first_heading or PurePosixPath(rel_path).stem.replace("-", " "),
        type=_type(raw.type, reporter),
        summary=raw.summary or _clip(doc.first_paragraph or "", 300),
        audience=_audience(raw.audience, reporter),
        audience_given=raw.audience is not None,
        stages=_facet_values(raw.stages, vocabulary.stages, "stages", reporter),
        roles=_facet_values(raw.roles, vocabulary.roles, "roles", reporter),
        industries=_facet_values(raw.industries, vocabulary.industries, "industries", reporter),
        products=tuple(dict.fromkeys(slug(p) for p in raw.products)),
        problems=tuple(p.strip() for p in raw.problems if p.strip()),
        updated=raw.updated,
        expires=raw.expires,
        expires_invalid=expires_invalid,
        owner=raw.owner,
        url=_url(raw.url, reporter),
        language=(raw.language or "en").lower(),
    )
    return meta, reporter.issues


class _Reporter:
    def __init__(self, path: str, source: str) -> None:
        self.path = printable(path)
        self.lines = source.lstrip("\ufeff").splitlines()
        self.issues: list[FileIssue] = []

    def add(self, field: str, what: str, fix: str) -> None:
        self.issues.append(FileIssue(self.path, what, fix, line=self._line_of(field)))

    def _line_of(self, field: str) -> int | None:
        pattern = re.compile(rf"^{re.escape(field)}\s*:")
        for number, line in enumerate(self.lines[1:], start=2):
            if line.strip() == "---":
                return None
            if pattern.match(line):
                return number
        return None


def _validated(front_matter: dict[str, Any], reporter: _Reporter) -> _RawFrontMatter:
    data = dict(front_matter)
    for _ in range(len(data) + 1):
        try:
            return _RawFrontMatter.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0])
                reporter.add(
                    field,
                    f"front-matter field '{field}' is invalid ({error['msg']}); "
                    + _CONSEQUENCES.get(field, "it was ignored"),
                    _FIELD_FIXES.get(field, "correct or remove the field"),
                )
                data.pop(field, None)
    return _RawFrontMatter()


_CONSEQUENCES = {"expires": "the item is withheld from buyers until it is fixed"}
_FIELD_FIXES = {
    "updated": "write the date as YYYY-MM-DD",
    "expires": "write the date as YYYY-MM-DD",
    "stages": "give a list such as [validation, supplier-selection]",
    "roles": "give a list such as [cfo, controller]",
    "industries": "give a list such as [healthcare]",
}


def _invalid_expiry(front_matter: dict[str, Any]) -> str | None:
    """An 'expires' value that is not a date, as written (None when it is a date or absent)."""
    value = front_matter.get("expires")
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return None
    try:
        _RawFrontMatter.model_validate({"expires": value})
    except ValidationError:
        return (value if isinstance(value, str) else json.dumps(value, default=str))[:100]
    return None


def _url(value: str | None, reporter: _Reporter) -> str | None:
    if value is None or is_safe_url(value):
        return value
    reporter.add(
        "url",
        f"url '{printable(value[:100])}' is not an http, https or mailto link; it was dropped",
        "give a full link such as https://example.com/page or mailto:sales@example.com",
    )
    return None


def _id(value: str | None, rel_path: str, reporter: _Reporter) -> str:
    fallback = _path_id(rel_path, reporter)
    if value is None:
        return fallback
    if not _ID_PATTERN.fullmatch(value):
        reporter.add(
            "id",
            f"id '{value}' has characters ids may not use; the path '{fallback}' is used instead",
            "use letters, digits, '-', '_', '.' and '/' only",
        )
        return fallback
    return value


def _path_id(rel_path: str, reporter: _Reporter) -> str:
    """The id made from the path: without '.md', control and invisible characters replaced by '-' (reported)."""
    stem = rel_path[:-3] if rel_path.lower().endswith(".md") else rel_path
    clean = (
        "".join("-" if hidden else "".join(run) for hidden, run in itertools.groupby(stem, key=is_invisible)).strip()
        or "untitled"
    )
    if clean != stem:
        reporter.add(
            "id",
            f"the file name has control or invisible characters; its id is '{clean}'",
            "rename the file, or give it an 'id' in its front matter",
        )
    return clean


def _type(value: str | None, reporter: _Reporter) -> str:
    if value is None:
        return "unknown"
    kind = slug(value)
    if kind not in TYPES:
        reporter.add("type", f"unknown content type '{value}' (kept as '{kind}')", f"use one of: {', '.join(TYPES)}")
    return kind


def _audience(value: str | None, reporter: _Reporter) -> Audience:
    if value is None:
        return "internal"
    audience = slug(value)
    if audience == "buyer":
        return "buyer"
    if audience != "internal":
        reporter.add(
            "audience",
            f"unknown audience '{value}'; treated as internal",
            "use 'buyer' (may be sent to buyers) or 'internal' (sellers only)",
        )
    return "internal"


def _facet_values(values: list[str], facet: Facet, field: str, reporter: _Reporter) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        canonical = facet.normalize(value)
        if canonical is None:
            reporter.add(field, f"unknown {facet.name} '{value}' (ignored)", facet.describe())
        elif canonical not in out:
            out.append(canonical)
    return tuple(out)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
