"""A deal-room engagement event: what a buyer in one deal did with one content item, and when."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, StringConstraints

EventType = Literal[
    "sent", "opened", "viewed", "forwarded", "downloaded", "replied", "helpful", "not_helpful", "won", "lost"
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
MAX_EVENTS_PER_REQUEST = 100
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("give the time zone, e.g. 2026-11-27T14:05:00Z")
    return value.astimezone(dt.UTC)


class Event(BaseModel):
    """One thing a buyer did: `sent` starts an item's story in a deal, the others say how it went."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: Id = Field(description="unique per source; a repeated id is acknowledged and stored once")
    deal_id: Id
    content_id: Id = Field(description="the content item's id, as recommendations return it")
    type: EventType
    seconds: float | None = Field(default=None, ge=0, le=86_400, description="time spent (viewed)")
    at: Annotated[dt.datetime, AfterValidator(_aware)] = Field(description="when it happened, with its time zone")
    stage: str | None = Field(
        default=None, max_length=100, description="the deal's buying stage at the time, when the deal room knows it"
    )


EXAMPLE: dict[str, Any] = {
    "event_id": "dsr-81723",
    "deal_id": "acme-2026-q4",
    "content_id": "cs-harbor-point-close",
    "type": "viewed",
    "seconds": 240,
    "at": "2026-11-27T14:05:00Z",
    "stage": "evaluation",
}


class EventBatch(RootModel[Event | Annotated[list[Event], Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)]]):
    """One event, or a list of up to 100."""

    model_config = ConfigDict(json_schema_extra={"examples": [dict(EXAMPLE)]})

    def events(self) -> list[Event]:
        return self.root if isinstance(self.root, list) else [self.root]


class Appended(BaseModel):
    """What a write did: events newly stored, and events already stored under the same id."""

    stored: int
    duplicates: int
