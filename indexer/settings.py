"""One typed settings object, built explicitly by the CLI or the API and passed in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Runtime = Literal["onnx", "torch"]
Precision = Literal["int8", "fp32"]
DEFAULT_LIBRARY = "default"  # the name of the single index a server serves when no libraries are configured
LIBRARY_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
LIBRARY_NAME_RULE = "lowercase letters, digits and '-', starting with a letter or digit, at most 40"


def library_name(name: str) -> str:
    """`name` when it is a valid library name, or a ValueError saying what one looks like."""
    if not LIBRARY_NAME.match(name):
        raise ValueError(f"'{name[:48]}' is not a library name: use {LIBRARY_NAME_RULE} (like emea or acme-corp)")
    return name


def library_names(names: frozenset[str]) -> frozenset[str]:
    """`names` when every one is a valid library name (see `library_name`)."""
    for name in names:
        library_name(name)
    return names


LibraryNames = Annotated[frozenset[str], AfterValidator(library_names)]


def library_entries(value: Any) -> Any:
    """`NAME=DIR` entries (a string separated by commas or whitespace, or a list) as a mapping; others unchanged."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple):
        return value
    libraries: dict[str, str] = {}
    for entry in value:
        name, sep, folder = str(entry).partition("=")
        if not sep or not name.strip() or not folder.strip():
            raise ValueError(f"'{str(entry)[:60]}' is not a library entry; expected NAME=DIR, like emea=/srv/emea")
        if name.strip() in libraries:
            raise ValueError(f"library '{name.strip()}' is named twice; give each library once")
        libraries[name.strip()] = folder.strip()
    return libraries


class Settings(BaseSettings):
    """Where the index lives, which model embeds, and how text is cut into pieces.

    Every field can be set from the environment with the `RECOMMENDER_` prefix
    (`RECOMMENDER_INDEX=/srv/index`), or passed in directly.
    """

    model_config = SettingsConfigDict(env_prefix="RECOMMENDER_", extra="ignore")

    index: Path = Field(default=Path(".recommender/index"), description="index directory")
    model: Path | None = Field(
        default=None, description="sentence-transformers model folder; default: the bundled all-MiniLM-L6-v2"
    )
    runtime: Runtime | None = Field(
        default=None,
        description="what computes the vectors: onnx (ONNX Runtime, no torch at query time) or torch; "
        "default: onnx when indexing, the index's own when answering",
    )
    precision: Precision | None = Field(
        default=None,
        description="int8 or fp32 weights (torch: fp32 only); default: fp32, or the index's own when answering",
    )
    encoder_cache: Path | None = Field(
        default=None, description="folder where ONNX exports are kept and reused; default: <index>/cache/encoders"
    )
    encoder_threads: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="threads one embedding may use; default: all cores when indexing, 1 when answering",
    )
    batch_size: int = Field(default=32, ge=1, le=1024)
    piece_overlap_tokens: int = Field(default=48, ge=0, le=128)
    vocabulary: Path | None = Field(default=None, description="YAML file extending stage, role and industry aliases")
    max_file_bytes: int = Field(
        default=2_000_000,
        ge=1,
        description="largest markdown file indexed, in bytes; a bigger file is reported and skipped (default 2 MB)",
    )
    events: Path | None = Field(
        default=None, description="engagement event store (SQLite); default: <index>/events/events.sqlite3"
    )
    engagement: bool = Field(
        default=True, description="rank with engagement priors learned from deal-room events (off: relevance only)"
    )
    keep_builds: int = Field(
        default=2, ge=1, le=10, description="published builds kept on disk (the newest and the one before)"
    )
    libraries: Annotated[dict[str, Path], NoDecode] = Field(
        default_factory=dict,
        description="several libraries served by one server, NAME=DIR each (emea=/srv/emea,apac=/srv/apac); "
        "none: the one index above, as the library named 'default'",
    )

    @field_validator("libraries", mode="before")
    @classmethod
    def _library_entries(cls, value: Any) -> Any:
        return library_entries(value)

    @field_validator("libraries")
    @classmethod
    def _library_names(cls, value: dict[str, Path]) -> dict[str, Path]:
        for name in value:
            library_name(name)
        folders = [folder.resolve() for folder in value.values()]
        if len(set(folders)) != len(folders):
            raise ValueError("two libraries share one index folder; each library needs its own")
        return value

    def served_libraries(self) -> dict[str, Path]:
        """Library name -> index folder: the configured libraries, or the one index as the library 'default'."""
        return dict(self.libraries) if self.libraries else {DEFAULT_LIBRARY: self.index}

    def for_library(self, name: str) -> Settings:
        """These settings for one served library: its index folder, and its own event store beside it."""
        update: dict[str, Any] = {"index": self.served_libraries()[name], "libraries": {}}
        if self.libraries:
            update["events"] = None
        return self.model_copy(update=update)

    @model_validator(mode="after")
    def _torch_is_fp32(self) -> Settings:
        if self.runtime == "torch" and self.precision == "int8":
            raise ValueError("the torch runtime computes in fp32 only; use precision fp32, or runtime onnx for int8")
        if len(self.libraries) > 1 and self.events is not None:
            raise ValueError(
                "events names one event store, but several libraries are configured and each keeps its own "
                "under its index folder; unset events (RECOMMENDER_EVENTS)"
            )
        return self
