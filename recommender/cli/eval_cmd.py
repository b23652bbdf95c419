"""`recommender eval`: retrieval quality on a BEIR-layout test collection."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from indexer.build import BuildOptions
from indexer.embed import load_embedder
from recommender.cli.app import app, err, out, settings_of, user_errors
from recommender.cli.progress import TerminalProgress
from recommender.evaluation import EvalReport, default_cache, evaluate
from recommender.retriever import METHODS, Method


@app.command("eval")
@user_errors
def eval_command(
    ctx: typer.Context,
    dataset: Path = typer.Option(..., "--dataset", help="Folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv (BEIR layout)."),
    method: str = typer.Option("all", "--method", help="dense, keyword, hybrid or all."),
    split: str = typer.Option("test", "--split", help="Which judgments to score: qrels/<split>.tsv."),
    cache: Path | None = typer.Option(None, "--cache", help="Where the corpus is written and indexed (default .recommender/eval/<dataset name>); reused while unchanged."),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON on stdout (progress goes to stderr)."),
) -> None:
    """Index a test collection (or reuse its cached index) and report nDCG@10, Recall@100 and MRR@10 per method."""
    methods = _methods(method)
    settings = settings_of(ctx)
    embedder = load_embedder(settings.model)
    build = BuildOptions(index=Path(), batch_size=settings.batch_size, overlap_tokens=settings.piece_overlap_tokens, keep_builds=settings.keep_builds)
    with TerminalProgress(err) as progress:
        report = evaluate(dataset, embedder=embedder, cache=cache or default_cache(dataset), split=split, methods=methods, build=build, progress=progress)
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        out.print(_table(report))


def _methods(value: str) -> tuple[Method, ...]:
    if value == "all":
        return METHODS
    for method in METHODS:
        if value == method:
            return (method,)
    raise typer.BadParameter(f"'{value}' is not one of dense, keyword, hybrid, all", param_hint="--method")


def _table(report: EvalReport) -> Table:
    run = report.run
    table = Table(title=f"{Path(run.dataset).name} ({run.split}: {run.queries} queries, {run.documents} documents, {run.pieces} pieces)")
    for column in ("method", "nDCG@10", "Recall@100", "MRR@10", "query s"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for name, s in report.methods.items():
        table.add_row(name, f"{s.ndcg_at_10:.4f}", f"{s.recall_at_100:.4f}", f"{s.mrr_at_10:.4f}", f"{run.query_seconds[name]:.1f}")
    table.caption = f"index {'reused' if run.index_reused else 'built'}: {run.index}; {run.seconds:.0f}s in all"
    return table
