"""The manifest: what built an index, what it holds, and a checksum of every file."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from indexer.calibration import Calibration

FORMAT_VERSION = 4  # 2: sentence vectors and the gap calibration; 3: manifest.json under its own checksum;
# 4: memory-mapped vectors.npy, HNSW graphs for large libraries, document vectors and near-duplicate pairs
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"  # `sha256sum -c manifest.sha256` checks it by hand, from the build folder


class ModelInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    dimension: int
    max_tokens: int


class EncoderInfo(BaseModel):
    """What computed the vectors: a query must be embedded by the same runtime, precision and export."""

    model_config = ConfigDict(frozen=True)

    runtime: str = "torch"  # an index without this record was built before runtimes existed: by torch
    precision: str = "fp32"
    fingerprint: str = ""  # of the exported encoder files (onnx) or of the model folder (torch)
    folder: str | None = None  # the build's copy of the encoder (onnx), so a query needs nothing else

    def describe(self) -> str:
        return f"{self.runtime} {self.precision} encoder" + (f" {self.fingerprint}" if self.fingerprint else "")

    def differs_from(self, other: EncoderInfo) -> bool:
        fingerprints_differ = bool(self.fingerprint and other.fingerprint and self.fingerprint != other.fingerprint)
        return self.runtime != other.runtime or self.precision != other.precision or fingerprints_differ


class Counts(BaseModel):
    model_config = ConfigDict(frozen=True)

    documents: int
    sections: int
    pieces: int
    buyer_documents: int


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    format_version: int
    build_id: str
    built_at: dt.datetime
    model: ModelInfo
    encoder: EncoderInfo = EncoderInfo()
    counts: Counts
    vector_index: str
    keyword: dict[str, Any]
    chunking: dict[str, int]
    sources: list[str]
    calibration: Calibration
    files: dict[str, str]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file in `folder` (recursively) but the manifest and its own checksum, keyed by relative path."""
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).as_posix() not in (MANIFEST, MANIFEST_CHECKSUM)
    }


def manifest_checksum_line(manifest_bytes: bytes) -> str:
    """The line `manifest.sha256` holds: the manifest's sha256 in `sha256sum` format."""
    return f"{hashlib.sha256(manifest_bytes).hexdigest()}  {MANIFEST}\n"


def manifest_checksum_matches(manifest_bytes: bytes, recorded: str) -> bool:
    return recorded == manifest_checksum_line(manifest_bytes)
