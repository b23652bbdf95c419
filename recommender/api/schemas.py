"""The API's own request and answer shapes; recommendations and content use the core's models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from recommender.models import MAX_ITEMS, MAX_PROBLEM_CHARS, Audience


class AskRequest(BaseModel):
    """A seller's sentence about the buyer, as `recommender ask` takes it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "CFO at a regional bank worried about implementation risk, comparing us with two vendors",
                    "max_items": 3,
                },
            ]
        },
    )

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PROBLEM_CHARS)] = Field(
        description="the buyer and their problem in a seller's words; stage, roles and industry are recognised from it"
    )
    audience: Audience | None = Field(
        default=None, description="seller keys: seller (default) or buyer; buyer keys are always served as buyer"
    )
    max_items: StrictInt = Field(default=5, ge=1, le=MAX_ITEMS, description='a JSON number; "3" and true are refused')


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class IndexCounts(BaseModel):
    documents: int
    buyer_documents: int
    sections: int
    pieces: int


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    model: str = Field(description="the embedding model the index was built with and the server uses")
    build_id: str
    built_at: dt.datetime
    loaded_at: dt.datetime = Field(description="when this server started serving the build")
    counts: IndexCounts


class ReloadResult(BaseModel):
    changed: bool = Field(description="false when the newest published build was already being served")
    build_id: str
    previous_build_id: str
    built_at: dt.datetime
    documents: int
