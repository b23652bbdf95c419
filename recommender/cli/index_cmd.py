"""`recommender index`: build and publish the index."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from indexer.vocabulary import load_vocabulary
from recommender.cli.app import app, err, settings_of, user_errors
from recommender.cli.engines import ADDRESS_OPTION, WORKERS_OPTION, Engine, engine_of
from recommender.cli.progress import progress_for

if TYPE_CHECKING:
    from indexer.build import BuildSummary


@app.command("index")
@user_errors
def index_command(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        None, help="Markdown files or folders (searched recursively). Default: ./corpus"
    ),
    index: Path | None = typer.Option(
        None, "--index", help="Index directory (default .recommender/index, or RECOMMENDER_INDEX)."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Treat any problem in the input as an error: exit non-zero and publish nothing."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the summary as JSON on stdout (progress and problems go to stderr)."
    ),
    engine: Engine = typer.Option(
        Engine.local,
        "--engine",
        help="Where the texts are embedded: local (this process) or ray (Ray Data workers; needs the ray extra).",
    ),
    address: str | None = ADDRESS_OPTION,
    workers: int | None = WORKERS_OPTION,
) -> None:
    """Index a library of markdown content; re-running embeds only what changed."""
    from indexer.build import BuildOptions, build_index, check_sources
    from indexer.encoders import exports_of, indexing_encoder

    embedding = engine_of(engine, address=address, workers=workers, model=ctx.obj.model)
    settings = settings_of(ctx, index=index)
    vocabulary = load_vocabulary(settings.vocabulary)
    sources = paths or [Path("corpus")]
    check_sources(sources)  # a wrong path is refused before the encoder loads
    embedder = indexing_encoder(settings, exports=exports_of(settings))
    options = BuildOptions(
        index=settings.index,
        batch_size=settings.batch_size,
        overlap_tokens=settings.piece_overlap_tokens,
        keep_builds=settings.keep_builds,
        max_file_bytes=settings.max_file_bytes,
        strict=strict,
    )
    with progress_for(err) as progress:
        summary = build_index(
            sources, options=options, embedder=embedder, vocabulary=vocabulary, progress=progress, engine=embedding
        )
    _print_issues(summary)
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
    else:
        err.print(_summary_line(summary), highlight=False)


def _print_issues(summary: BuildSummary) -> None:
    for issue in summary.issues:
        where = f"{issue.path}:{issue.line}" if issue.line else issue.path
        colour = "red" if issue.severity == "skipped" else "yellow"
        err.print(
            f"[{colour}]{issue.severity}[/] {escape(where)}: {escape(issue.what)}\n    fix: {escape(issue.fix)}",
            highlight=False,
        )


def _summary_line(s: BuildSummary) -> str:
    line = (
        f"Indexed {s.documents} documents into {s.index} in {s.seconds:.1f}s: {s.added} added, {s.updated} updated, "
        f"{s.removed} removed, {s.unchanged} unchanged, {s.skipped} skipped; {s.pieces} pieces, "
        f"{s.pieces_embedded} embedded; {s.sentences} sentences, {s.sentences_embedded} embedded."
    )
    if s.skipped:
        reasons = sorted({_reason(i.what) for i in s.issues if i.severity == "skipped"})
        line += f"\nSkipped because: {'; '.join(reasons)} (details above)."
    if s.treated_as_internal:
        line += (
            f"\n{s.treated_as_internal} documents have no 'audience' and are treated as internal"
            " (never sent to buyers)."
        )
    return line


_DETAIL = re.compile(r" to \S+,| is [\d.,]+ (MB|bytes),")


def _reason(what: str) -> str:
    """The kind of problem without one file's details: 'a link outside the library folder', 'not UTF-8 text'."""
    return _DETAIL.sub("", what.split(";")[0].split(" (")[0])
