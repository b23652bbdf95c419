"""One typed settings object, built explicitly by the CLI or the API and passed in."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the index lives, which model embeds, and how text is cut into pieces.

    Every field can be set from the environment with the `RECOMMENDER_` prefix
    (`RECOMMENDER_INDEX=/srv/index`), or passed in directly.
    """

    model_config = SettingsConfigDict(env_prefix="RECOMMENDER_", extra="ignore")

    index: Path = Field(default=Path(".recommender/index"), description="index directory")
    model: Path | None = Field(default=None, description="sentence-transformers model folder; default: the bundled all-MiniLM-L6-v2")
    batch_size: int = Field(default=32, ge=1, le=1024)
    piece_overlap_tokens: int = Field(default=48, ge=0, le=128)
    vocabulary: Path | None = Field(default=None, description="YAML file extending stage, role and industry aliases")
    keep_builds: int = Field(default=2, ge=1, le=10, description="published builds kept on disk (the newest and the one before)")
