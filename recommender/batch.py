"""Batch recommendations: one request per JSONL line in, one result per line out, resumable.

Input: each line a JSON object, the core's RecommendationRequest plus a caller-chosen `id`
(a string or an integer, unique in the file). Output goes to a ResultSink: by default JSON lines,
each `{"id": ..., "recommendation": {...}}`, in input order; or one file per id in a folder
(FilePerResult, for notes ready to paste). A line that cannot be answered (bad JSON, no id, a
repeated id, an invalid request, an id that cannot name a file) is reported with its line number
and skipped; the rest completes.

Every result is written as one whole line and flushed before the next request starts, so a run
killed at any moment leaves complete lines plus at most one partial last line. Resuming drops that
partial line (and says so), then skips every id already in the output: nothing is lost and
nothing is written twice. A file per id is written whole (a temporary file, then a rename), so a
folder only ever holds complete results, and resuming skips the ids that have a file.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from indexer.errors import InvalidRequestError, RecommenderError
from recommender.batch_sinks import BatchResult, RequestId, ResultSink
from recommender.service import Recommender, parse_request

if TYPE_CHECKING:
    from indexer.build import (
        Progress,
    )  # the protocol only: importing the builder would bring markdown-it into every command

log = logging.getLogger(__name__)
__all__ = [
    "Answerer",
    "BatchResult",
    "LocalAnswerer",
    "RequestId",
    "ResultSink",
    "answer_batch",
    "prepare_output",
    "read_results",
    "run_batch",
]


@dataclass(frozen=True)
class BatchRequest:
    line: int
    id: RequestId
    data: dict[str, Any]


@dataclass(frozen=True)
class BadLine:
    line: int
    id: RequestId | None
    message: str


@dataclass(frozen=True)
class ResultsFile:
    """What an output file already holds: the ids answered and the items picked."""

    ids: frozenset[str]
    picked: frozenset[str]
    results: int
    damaged: tuple[int, ...] = ()  # line numbers that could not be read
    partial_tail: bool = False  # the last line has no newline: a write cut off mid-line


@dataclass(frozen=True)
class BatchSummary:
    lines: int
    written: int
    already_done: int
    bad: tuple[BadLine, ...]
    seconds: float

    @property
    def per_second(self) -> float:
        return self.written / self.seconds if self.seconds > 0 else 0.0


def key(request_id: RequestId) -> str:
    """Ids compare as text, so 7 and "7" are the same request."""
    return str(request_id)


# ---- reading requests ---------------------------------------------------------------------


def count_lines(path: Path) -> int:
    with _open_requests(path) as handle:
        return sum(1 for line in handle if line.strip())


def read_requests(path: Path) -> Iterator[BatchRequest | BadLine]:
    """Each non-blank line as a request with its id, or a BadLine saying what is wrong with it."""
    seen: dict[str, int] = {}
    with _open_requests(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                item = _parse_line(line, number)
                yield _unique(item, seen)


def _open_requests(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8")
    except OSError as exc:
        raise RecommenderError(
            f"cannot read the requests file {path}: {exc.strerror or exc}",
            hint="Give a JSONL file: one JSON request with an 'id' per line.",
        ) from exc


def _parse_line(line: str, number: int) -> BatchRequest | BadLine:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadLine(number, None, f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(data, dict):
        return BadLine(number, None, "not a JSON object")
    request_id = data.pop("id", None)
    if isinstance(request_id, bool) or not isinstance(request_id, (str, int)) or not str(request_id).strip():
        return BadLine(number, None, "no 'id' (give each request a unique string or integer id)")
    return BatchRequest(number, request_id, data)


def _unique(item: BatchRequest | BadLine, seen: dict[str, int]) -> BatchRequest | BadLine:
    if isinstance(item, BadLine):
        return item
    first = seen.setdefault(key(item.id), item.line)
    if first != item.line:
        return BadLine(item.line, item.id, f"id {item.id!r} repeats the request on line {first}")
    return item


# ---- the output file ----------------------------------------------------------------------


def read_results(path: Path) -> ResultsFile:
    """The ids and picked items in a results file; unreadable lines are listed, not fatal."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecommenderError(
            f"cannot read the results file {path}: {exc.strerror or exc}",
            hint="Give the --out file of a 'recommender batch' run.",
        ) from exc
    ids: set[str] = set()
    picked: set[str] = set()
    damaged: list[int] = []
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, start=1):
        parsed = _result_line(line)
        if parsed is None:
            damaged.extend([number] if line.strip() else [])
            continue
        ids.add(key(parsed[0]))
        picked.update(parsed[1])
    return ResultsFile(
        frozenset(ids), frozenset(picked), len(ids), tuple(damaged), partial_tail=bool(lines[-1].strip())
    )


def _result_line(line: bytes) -> tuple[RequestId, list[str]] | None:
    try:
        data = json.loads(line)
        items = data["recommendation"]["items"]
        return data["id"], [str(item["id"]) for item in items]
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Resume:
    """Where a run starts: the results already written, and whether a cut-off last line was dropped."""

    existing: ResultsFile
    repaired_tail: bool

    @property
    def done(self) -> frozenset[str]:
        return self.existing.ids


def prepare_output(path: Path, *, resume: bool) -> Resume:
    """Make `path` ready to append to; on resume, drop a partial last line and read what is done."""
    if not path.exists() or path.stat().st_size == 0:
        return Resume(ResultsFile(frozenset(), frozenset(), 0), repaired_tail=False)
    if not resume:
        raise RecommenderError(
            f"{path} already holds results", hint="Add --resume to continue that run, or choose another --out file."
        )
    repaired = _drop_partial_tail(path)
    if repaired:
        log.info("dropped a partial last line in %s; its request runs again", path)
    existing = read_results(path)
    if existing.damaged:
        raise RecommenderError(
            f"{path} has unreadable lines ({', '.join(map(str, existing.damaged[:5]))})",
            hint="It was not written by 'recommender batch', or was edited; fix or remove those lines, then resume.",
        )
    return Resume(existing, repaired_tail=repaired)


def _drop_partial_tail(path: Path) -> bool:
    """Cut the file after its last newline; True when something was cut."""
    with path.open("r+b") as handle:
        data = handle.read()
        end = data.rfind(b"\n") + 1
        if end == len(data):
            return False
        handle.truncate(end)
        handle.flush()
        os.fsync(handle.fileno())
    return True


# ---- running ------------------------------------------------------------------------------


@dataclass
class _Tally:
    written: int = 0
    already_done: int = 0
    bad: list[BadLine] = field(default_factory=list)


class Answerer(Protocol):
    """Answers requests, in their order, one BatchResult (or a BadLine for an invalid request) each."""

    def answer_all(self, requests: Iterable[BatchRequest]) -> Iterator[BatchResult | BadLine]: ...


class LocalAnswerer:
    """Answers in this process, one request after another, as they are read."""

    def __init__(self, recommender: Recommender) -> None:
        self.recommender = recommender

    def answer_all(self, requests: Iterable[BatchRequest]) -> Iterator[BatchResult | BadLine]:
        return (answer_one(self.recommender, request) for request in requests)


def answer_one(recommender: Recommender, request: BatchRequest) -> BatchResult | BadLine:
    """One request's result, or a BadLine saying why the request cannot be answered."""
    try:
        answer = recommender.recommend(parse_request(request.data))
    except InvalidRequestError as exc:
        return BadLine(request.line, request.id, exc.message)
    return BatchResult(id=request.id, recommendation=answer)


def run_batch(
    recommender: Recommender,
    requests: Path,
    sink: ResultSink,
    *,
    done: frozenset[str] = frozenset(),
    progress: Progress | None = None,
) -> BatchSummary:
    """Answer every request in `requests` whose id is not in `done`, each written whole to `sink`."""
    return answer_batch(LocalAnswerer(recommender), requests, sink, done=done, progress=progress)


def answer_batch(
    answerer: Answerer,
    requests: Path,
    sink: ResultSink,
    *,
    done: frozenset[str] = frozenset(),
    progress: Progress | None = None,
) -> BatchSummary:
    """As `run_batch`, with the answering done by `answerer` (in this process, or on Ray workers). Results are
    written in the order of the requests, each whole, as soon as it and those before it are answered."""
    started = time.perf_counter()
    total = count_lines(requests)
    if progress is not None:
        progress.phase("recommending", total)
    tally = _Tally()
    for outcome in answerer.answer_all(_to_answer(read_requests(requests), sink, done, tally, progress)):
        if isinstance(outcome, BadLine):
            tally.bad.append(outcome)
        else:
            sink.write(outcome)
            tally.written += 1
        if progress is not None:
            progress.advance(1)
    bad = tuple(sorted(tally.bad, key=lambda b: b.line))
    return BatchSummary(total, tally.written, tally.already_done, bad, seconds=time.perf_counter() - started)


def _to_answer(
    items: Iterable[BatchRequest | BadLine],
    sink: ResultSink,
    done: frozenset[str],
    tally: _Tally,
    progress: Progress | None,
) -> Iterator[BatchRequest]:
    """The requests still to answer; bad lines, ids already done and ids the sink refuses are tallied here."""
    for item in items:
        if isinstance(item, BatchRequest) and key(item.id) not in done:
            refused = sink.refuse(item.id)
            if refused is None:
                yield item
                continue
            tally.bad.append(BadLine(item.line, item.id, refused))
        elif isinstance(item, BadLine):
            tally.bad.append(item)
        else:
            tally.already_done += 1
        if progress is not None:
            progress.advance(1)
