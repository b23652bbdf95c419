"""`recommender eval`: retrieval quality on a BEIR-layout test collection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer
from rich.table import Table

from recommender.cli.app import app, err, out, settings_of, user_errors
from recommender.cli.progress import TerminalProgress

if TYPE_CHECKING:
    from recommender.evaluation import EvalReport
    from recommender.retriever import Method


@app.command("eval")
@user_errors
def eval_command(
    ctx: typer.Context,
    dataset: Path = typer.Option(..., "--dataset", help="Folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv (BEIR layout)."),
    method: Literal["dense", "keyword", "hybrid", "all"] = typer.Option("all", "--method", help="dense, keyword, hybrid or all."),
    split: str = typer.Option("test", "--split", help="Which judgments to score: qrels/<split>.tsv."),
    cache: Path | None = typer.Option(None, "--cache", help="Where the corpus is written and indexed (default .recommender/eval/<dataset name>); reused while unchanged."),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON on stdout (progress goes to stderr)."),
) -> None:
    """Index a test collection (or reuse its cached index) and report nDCG@10, Recall@100 and MRR@10 per method."""
    from indexer.build import BuildOptions
    from indexer.encoders import exports_of, indexing_encoder
    from recommender.evaluation import default_cache, evaluate, metrics_available

    metrics_available()
    settings = settings_of(ctx)
    folder = cache or default_cache(dataset)
    embedder = indexing_encoder(settings, exports=exports_of(settings, folder / "index"))
    build = BuildOptions(index=Path(), batch_size=settings.batch_size, overlap_tokens=settings.piece_overlap_tokens, keep_builds=settings.keep_builds)
    with TerminalProgress(err) as progress:
        report = evaluate(dataset, embedder=embedder, cache=folder, split=split, methods=_methods(method), build=build, progress=progress)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        out.print(_table(report))


def _methods(value: str) -> tuple[Method, ...]:
    from recommender.retriever import METHODS

    return METHODS if value == "all" else tuple(m for m in METHODS if m == value)


def _table(report: EvalReport) -> Table:
    run = report.run
    table = Table(title=f"{Path(run.dataset).name} ({run.split}: {run.queries} queries, {run.documents} documents, {run.pieces} pieces)")
    for column in ("method", "nDCG@10", "Recall@100", "MRR@10", "query s"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for name, s in report.methods.items():
        table.add_row(name, f"{s.ndcg_at_10:.4f}", f"{s.recall_at_100:.4f}", f"{s.mrr_at_10:.4f}", f"{run.query_seconds[name]:.1f}")
    table.caption = f"index {'reused' if run.index_reused else 'built'}: {run.index}; {run.seconds:.0f}s in all"
    return table
