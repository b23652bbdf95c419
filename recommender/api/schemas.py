"""The API's own request and answer shapes; recommendations and content use the core's models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from recommender.catalog import ContentQuery
from recommender.models import MAX_ITEMS, MAX_PROBLEM_CHARS, Audience

LIBRARY_DESCRIPTION = "which of the key's libraries to answer from; needed only when the key is bound to several"


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
    """The library being served; on a server with several, only a key (and `library`) says which, and without
    one the answer only says that every library is loaded (the library's fields are null)."""

    status: Literal["ready"] = "ready"
    library: str | None = Field(default=None, description="the library described ('default': the one index)")
    model: str | None = Field(
        default=None, description="the embedding model the index was built with and the server uses"
    )
    build_id: str | None = None
    built_at: dt.datetime | None = None
    loaded_at: dt.datetime | None = Field(default=None, description="when this server started serving the build")
    counts: IndexCounts | None = None


class ReloadResult(BaseModel):
    library: str = Field(default="default", description="the library reloaded")
    changed: bool = Field(description="false when the newest published build was already being served")
    build_id: str
    previous_build_id: str
    built_at: dt.datetime
    documents: int


class ReloadResults(BaseModel):
    """Every library the admin key may reload, each reloaded on its own (one failing leaves the others served)."""

    libraries: list[ReloadResult]
    refused: dict[str, str] = Field(
        default_factory=dict, description="library -> why its newest build was refused (it keeps serving)"
    )


class LibraryContentQuery(ContentQuery):
    """The content filters plus the library selector, as one query model (it forbids other parameters)."""

    library: str | None = Field(default=None, max_length=200, description=LIBRARY_DESCRIPTION, examples=["emea"])

    def filters(self) -> ContentQuery:
        return ContentQuery.model_validate(self.model_dump(exclude={"library"}, exclude_unset=True))
