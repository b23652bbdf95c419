"""`recommender batch`: recommendations for many deals at once, resumable."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import typer
from rich.markup import escape

from indexer.errors import RecommenderError
from indexer.settings import Settings
from recommender.batch import Answerer, BatchSummary, LocalAnswerer, answer_batch, prepare_output
from recommender.batch_sinks import Blocks, FilePerResult, JsonLines, ResultSink
from recommender.cli.app import app, err, settings_of, user_errors
from recommender.cli.engines import ADDRESS_OPTION, WORKERS_OPTION, Engine, check_engine_options, quiet_ray
from recommender.cli.formats import OutputFormat, formatted
from recommender.cli.progress import TerminalProgress
from recommender.service import Recommender


@app.command("batch")
@user_errors
def batch_command(
    ctx: typer.Context,
    requests: Path = typer.Argument(
        ..., help="JSONL: one request per line, the 'recommend' request plus a unique 'id'."
    ),
    out_file: Path | None = typer.Option(
        None,
        "--out",
        help="json: a JSONL file, one line per request id. text, markdown, email: a folder, one file per id "
        "(<id>.txt or <id>.md). Default: stdout.",
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.json,
        "--format",
        "-f",
        help="json (the API's JSON, one line each), text or markdown (the seller's view), email (a note to the buyer).",
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run: skip ids already in --out."),
    index: Path | None = typer.Option(
        None, "--index", help="Index directory (default .recommender/index, or RECOMMENDER_INDEX)."
    ),
    engine: Engine = typer.Option(
        Engine.local,
        "--engine",
        help="Where requests are answered: local (this process) or ray (Ray actors, one Recommender each; "
        "needs the ray extra). The output is the same.",
    ),
    address: str | None = ADDRESS_OPTION,
    workers: int | None = WORKERS_OPTION,
) -> None:
    """Answer every request in a JSONL file; bad lines are reported and skipped (exit status 1), the rest completes."""
    if resume and out_file is None:
        raise typer.BadParameter("--resume needs --out: the file whose results are kept", param_hint="--resume")
    check_engine_options(engine, address=address, workers=workers)
    if not requests.is_file():
        raise RecommenderError(
            f"no requests file at {requests}", hint="Give a JSONL file: one JSON request with an 'id' per line."
        )
    place = _Engine(engine, address, workers)
    if fmt is not OutputFormat.json:
        _formatted_batch(ctx, requests, out_file, fmt, resume=resume, index=index, place=place)
        return
    state = prepare_output(out_file, resume=resume) if out_file else None
    if state is not None and state.repaired_tail:
        err.print(
            f"[yellow]repaired[/] {escape(str(out_file))}: dropped a partial last line left by an interrupted run; "
            "that request runs again",
            highlight=False,
        )
    answerer = place.answerer(settings_of(ctx, index=index))
    with _output(out_file) as handle:
        summary = _run(answerer, requests, JsonLines(handle), state.done if state else frozenset())
    _report(summary, state.existing.results if state else 0, out_file)


@dataclass(frozen=True)
class _Engine:
    name: Engine
    address: str | None
    workers: int | None

    def answerer(self, settings: Settings) -> Answerer:
        """In this process, or on Ray; a missing ray extra or a bad index is refused before any request runs."""
        if self.name is Engine.local:
            return LocalAnswerer(Recommender.open(settings))
        from indexer.engines import import_ray
        from recommender.batch_ray import RayAnswerer

        import_ray()
        quiet_ray()
        return RayAnswerer(settings, address=self.address, workers=self.workers)


def _formatted_batch(
    ctx: typer.Context,
    requests: Path,
    folder: Path | None,
    fmt: OutputFormat,
    *,
    resume: bool,
    index: Path | None,
    place: _Engine,
) -> None:
    """One file per request id in `folder` (or blocks on stdout), each rendered in `fmt`."""
    render = functools.partial(formatted, fmt=fmt)
    sink: ResultSink
    done: frozenset[str] = frozenset()
    if folder is None:
        sink = Blocks(sys.stdout, render, header="# {id}" if fmt is OutputFormat.markdown else "=== {id} ===")
    else:
        files = FilePerResult(folder, ".md" if fmt is OutputFormat.markdown else ".txt", render)
        done = files.prepare(resume=resume)
        sink = files
    answerer = place.answerer(settings_of(ctx, index=index))
    _report(_run(answerer, requests, sink, done), len(done), folder)


def _run(answerer: Answerer, requests: Path, sink: ResultSink, done: frozenset[str]) -> BatchSummary:
    try:
        with TerminalProgress(err) as progress:
            return answer_batch(answerer, requests, sink, done=done, progress=progress)
    except KeyboardInterrupt:
        err.print(
            "interrupted; every result written so far is complete - run again with --resume to continue",
            highlight=False,
        )
        raise typer.Exit(130) from None


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("a", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise RecommenderError(
            f"cannot write {path}: {exc.strerror or exc}", hint="Choose a writable path for --out."
        ) from exc
    with handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def _report(summary: BatchSummary, existing: int, out_file: Path | None) -> None:
    for bad in summary.bad:
        label = f" (id {bad.id!r})" if bad.id is not None else ""
        err.print(f"[red]skipped[/] line {bad.line}{escape(label)}: {escape(bad.message)}", highlight=False)
    done = f", {summary.already_done} already in {out_file}" if existing and summary.already_done else ""
    err.print(
        f"{summary.written} results written{done}, {len(summary.bad)} lines skipped, of {summary.lines} requests "
        f"in {summary.seconds:.1f}s ({summary.per_second:.1f} requests/s).",
        highlight=False,
    )
    if summary.bad:
        raise typer.Exit(1)
