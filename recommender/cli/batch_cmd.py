"""`recommender batch`: recommendations for many deals at once, resumable."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import typer
from rich.markup import escape

from indexer.errors import RecommenderError
from recommender.batch import BatchSummary, Resume, prepare_output, run_batch
from recommender.cli.app import app, err, settings_of, user_errors
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
        None, "--out", help="Write results here (JSONL, one line per request id); default stdout."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run: skip ids already in --out."),
    index: Path | None = typer.Option(
        None, "--index", help="Index directory (default .recommender/index, or RECOMMENDER_INDEX)."
    ),
) -> None:
    """Answer every request in a JSONL file; bad lines are reported and skipped (exit status 1), the rest completes."""
    if resume and out_file is None:
        raise typer.BadParameter("--resume needs --out: the file whose results are kept", param_hint="--resume")
    if not requests.is_file():
        raise RecommenderError(
            f"no requests file at {requests}", hint="Give a JSONL file: one JSON request with an 'id' per line."
        )
    state = prepare_output(out_file, resume=resume) if out_file else None
    if state is not None and state.repaired_tail:
        err.print(
            f"[yellow]repaired[/] {escape(str(out_file))}: dropped a partial last line left by an "
            "interrupted run; that request runs again",
            highlight=False,
        )
    recommender = Recommender.open(settings_of(ctx, index=index))
    try:
        with _output(out_file) as sink, TerminalProgress(err) as progress:
            summary = run_batch(
                recommender, requests, sink, done=state.done if state else frozenset(), progress=progress
            )
    except KeyboardInterrupt:
        err.print(
            "interrupted; every result written so far is complete - run again with --resume to continue",
            highlight=False,
        )
        raise typer.Exit(130) from None
    _report(summary, state, out_file)


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


def _report(summary: BatchSummary, state: Resume | None, out_file: Path | None) -> None:
    for bad in summary.bad:
        label = f" (id {bad.id!r})" if bad.id is not None else ""
        err.print(f"[red]skipped[/] line {bad.line}{escape(label)}: {escape(bad.message)}", highlight=False)
    done = f", {summary.already_done} already in {out_file}" if state is not None and summary.already_done else ""
    err.print(
        f"{summary.written} results written{done}, {len(summary.bad)} lines skipped, of {summary.lines} requests "
        f"in {summary.seconds:.1f}s ({summary.per_second:.1f} requests/s).",
        highlight=False,
    )
    if summary.bad:
        raise typer.Exit(1)
