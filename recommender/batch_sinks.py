"""Where batch results go: JSON lines (the default, resumable record), one file per id, or blocks on a stream.

Each sink writes a result whole or not at all, so an interrupted run never leaves half a result.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TextIO

from pydantic import BaseModel

from indexer.errors import RecommenderError
from recommender.models import Recommendation

RequestId = str | int
Render = Callable[[Recommendation], str]
FILE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,150}")


class BatchResult(BaseModel):
    """One output line."""

    id: RequestId
    recommendation: Recommendation


class ResultSink(Protocol):
    def refuse(self, request_id: RequestId) -> str | None:
        """Why a result with this id cannot be written here (None when it can), asked before answering."""

    def write(self, result: BatchResult) -> None:
        """Write one result whole."""


class JsonLines:
    """One `{"id": ..., "recommendation": {...}}` line per result, flushed before the next request starts."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle

    def refuse(self, request_id: RequestId) -> str | None:
        return None

    def write(self, result: BatchResult) -> None:
        self.handle.write(result.model_dump_json() + "\n")
        self.handle.flush()


class Blocks:
    """Each result rendered, after a header line naming its id (for reading on a terminal or in a pager)."""

    def __init__(self, handle: TextIO, render: Render, *, header: str = "=== {id} ===") -> None:
        self.handle = handle
        self.render = render
        self.header = header

    def refuse(self, request_id: RequestId) -> str | None:
        return None

    def write(self, result: BatchResult) -> None:
        self.handle.write(self.header.format(id=result.id) + "\n\n" + self.render(result.recommendation) + "\n")
        self.handle.flush()


class FilePerResult:
    """`<folder>/<id><suffix>` per result, written to a temporary file and renamed, so a file is always whole."""

    def __init__(self, folder: Path, suffix: str, render: Render) -> None:
        self.folder = folder
        self.suffix = suffix
        self.render = render

    def refuse(self, request_id: RequestId) -> str | None:
        if FILE_ID.fullmatch(str(request_id)):
            return None
        return (
            f"id {request_id!r} cannot name a file; with one file per result an id may use letters, digits, "
            "'.', '_' and '-' (not first) and at most 151 characters"
        )

    def write(self, result: BatchResult) -> None:
        target = self.folder / f"{result.id}{self.suffix}"
        partial = self.folder / f".{result.id}{self.suffix}.partial"
        with partial.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(self.render(result.recommendation))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)

    def prepare(self, *, resume: bool) -> frozenset[str]:
        """Create the folder, clear partial files an interrupted run left, and return the ids already written."""
        if self.folder.exists() and not self.folder.is_dir():
            raise RecommenderError(
                f"{self.folder} is a file, not a folder",
                hint="With --format text, markdown or email, --out names a folder: one file per request id.",
            )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecommenderError(
                f"cannot create the folder {self.folder}: {exc.strerror or exc}", hint="Choose a writable --out folder."
            ) from exc
        for partial in self.folder.glob(f".*{self.suffix}.partial"):
            partial.unlink()
        done = frozenset(path.name.removesuffix(self.suffix) for path in self.folder.glob(f"*{self.suffix}"))
        if done and not resume:
            raise RecommenderError(
                f"{self.folder} already holds {len(done)} result(s)",
                hint="Add --resume to continue that run, or choose another --out folder.",
            )
        return done
