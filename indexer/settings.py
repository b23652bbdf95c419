"""One typed settings object, built explicitly by the CLI or the API and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Runtime = Literal["onnx", "torch"]
Precision = Literal["int8", "fp32"]


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

    @model_validator(mode="after")
    def _torch_is_fp32(self) -> Settings:
        if self.runtime == "torch" and self.precision == "int8":
            raise ValueError("the torch runtime computes in fp32 only; use precision fp32, or runtime onnx for int8")
        return self
