"""`recommender eval`: retrieval quality on a BEIR-layout test collection, or a library's curated
answers against labelled buyer scenarios."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console
from rich.table import Table

from recommender.cli.app import app, date_option, err, out, settings_of, user_errors
from recommender.cli.progress import TerminalProgress

if TYPE_CHECKING:
    from recommender.evaluation import EvalReport
    from recommender.retriever import Method
    from recommender.scenario_eval import ScenarioReport

WIDE = 140
SCENARIO_HELP = (
    "YAML list of buyer scenarios: {id, stage, problems: [..], relevant: {ID: 2|1}, gap: true}; an ID is a document id "
    "or its path relative to the indexed folder, with or without .md. Reports the curated sets against "
    "plain hybrid search."
)


@app.command(
    "eval",
    help="Measure quality: nDCG@10, Recall@100 and MRR@10 on a test collection (--dataset), or a library's "
    "curated answers against buyer scenarios (--scenarios).",
)
@user_errors
def eval_command(
    ctx: typer.Context,
    dataset: Path | None = typer.Option(
        None, "--dataset", help="Folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv (BEIR layout)."
    ),
    scenarios: Path | None = typer.Option(None, "--scenarios", help=SCENARIO_HELP),
    index: Path | None = typer.Option(
        None,
        "--index",
        help="With --scenarios: the index of the library (default .recommender/index, or RECOMMENDER_INDEX).",
    ),
    audience: Literal["buyer", "seller"] = typer.Option(
        "buyer",
        "--audience",
        help="With --scenarios: buyer (only buyer-facing content) or seller (internal content too).",
    ),
    max_items: int = typer.Option(
        5, "--max-items", min=1, max=20, help="With --scenarios: items per curated set (1-20)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="With --scenarios: the date expiry is judged on (YYYY-MM-DD; default today)."
    ),
    method: Literal["dense", "keyword", "hybrid", "all"] = typer.Option(
        "all", "--method", help="With --dataset: dense, keyword, hybrid or all."
    ),
    split: str = typer.Option("test", "--split", help="With --dataset: which judgments to score, qrels/<split>.tsv."),
    cache: Path | None = typer.Option(
        None,
        "--cache",
        help="With --dataset: where the corpus is written and indexed (default .recommender/eval/<dataset "
        "name>); reused while unchanged.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON on stdout (progress goes to stderr)."),
) -> None:
    """Retrieval or scenario quality (help text on the decorator)."""
    if (dataset is None) == (scenarios is None):
        raise typer.BadParameter(
            "give exactly one of --dataset (a BEIR collection) or --scenarios (a YAML file of buyer scenarios)",
            param_hint="--dataset / --scenarios",
        )
    if scenarios is not None:
        _scenarios(
            ctx,
            scenarios,
            index=index,
            audience=audience,
            max_items=max_items,
            today=date_option(as_of, "--as-of"),
            as_json=as_json,
        )
    elif dataset is not None:
        _dataset(ctx, dataset, methods=_methods(method), split=split, cache=cache, as_json=as_json)


def _scenarios(
    ctx: typer.Context, path: Path, *, index: Path | None, audience: str, max_items: int, today: dt.date, as_json: bool
) -> None:
    from indexer.store import current_build
    from recommender.evaluation import metrics_available
    from recommender.scenario_eval import report, run_scenarios
    from recommender.scenarios import load_scenarios, resolve_ids
    from recommender.service import Recommender

    metrics_available()
    settings = settings_of(ctx, index=index)
    loaded = load_scenarios(path)  # a bad file is reported before anything heavy loads
    current_build(settings.index)
    recommender = Recommender.open(settings, today=lambda: today)
    resolved = resolve_ids(loaded, recommender.snapshot)
    result = report(
        recommender,
        run_scenarios(recommender, resolved, audience=audience, max_items=max_items, today=today),
        audience=audience,
        today=today,
    )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    wide = out if out.width >= WIDE else Console(width=WIDE, highlight=False)  # every column readable, also when piped
    wide.print(_per_scenario(result))
    out.print(_overall(result, path))
    _never(result)


def _dataset(
    ctx: typer.Context, dataset: Path, *, methods: tuple[Method, ...], split: str, cache: Path | None, as_json: bool
) -> None:
    from indexer.build import BuildOptions
    from indexer.encoders import exports_of, indexing_encoder
    from recommender.evaluation import default_cache, evaluate, metrics_available

    metrics_available()
    settings = settings_of(ctx)
    folder = cache or default_cache(dataset)
    embedder = indexing_encoder(settings, exports=exports_of(settings, folder / "index"))
    build = BuildOptions(
        index=Path(),
        batch_size=settings.batch_size,
        overlap_tokens=settings.piece_overlap_tokens,
        keep_builds=settings.keep_builds,
    )
    with TerminalProgress(err) as progress:
        result = evaluate(
            dataset, embedder=embedder, cache=folder, split=split, methods=methods, build=build, progress=progress
        )
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
    else:
        out.print(_table(result))


def _methods(value: str) -> tuple[Method, ...]:
    from recommender.retriever import METHODS

    return METHODS if value == "all" else tuple(m for m in METHODS if m == value)


def _per_scenario(result: ScenarioReport) -> Table:
    table = Table(title="Per scenario (nDCG@5; a gap scenario has none)", title_justify="left")
    table.add_column("scenario", no_wrap=True, max_width=44, overflow="ellipsis")
    for column in ("curated", "plain, same length", "plain, top 5", "items", "send-first", "false gaps", "missed gaps"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    for line in result.per_scenario:
        table.add_row(
            line.id,
            _num(line.ndcg_at_5),
            _num(line.plain_same_length_ndcg_at_5),
            _num(line.plain_top5_ndcg_at_5),
            str(len(line.items)),
            {True: "yes", False: "NO", None: "-"}[line.send_first],
            str(len(line.false_gaps)) if line.false_gaps else "",
            str(len(line.missed_gaps)) if line.missed_gaps else "",
        )
    return table


def _overall(result: ScenarioReport, path: Path) -> Table:
    table = Table(
        title=f"{path.name}: {result.scenarios} scenarios ({result.judged} judged), audience {result.audience}",
        title_justify="left",
    )
    for column in ("", "nDCG@5", "send-first in set", "mean items"):
        table.add_column(column, justify="left" if not column else "right")
    for name, scores in (
        ("curated set", result.curated),
        ("plain hybrid, same length", result.plain_same_length),
        ("plain hybrid, top 5", result.plain_top5),
    ):
        table.add_row(name, f"{scores.ndcg_at_5:.3f}", f"{scores.send_first_share:.0%}", f"{scores.mean_items:.2f}")
    g = result.gaps
    table.caption = (
        f"false gaps: {g.false_gaps} of {g.answerable_problems} answerable problems ({g.false_gap_rate:.1%}); "
        f"missed gaps: {g.missed_gaps} of {g.unanswerable_problems} unanswerable problems ({g.missed_gap_rate:.1%}); "
        f"answerable problems addressed: {result.coverage:.1%}"
    )
    return table


def _never(result: ScenarioReport) -> None:
    for line in result.violations:
        err.print(f"[bold red]policy violation[/] {line}", highlight=False)
    for line in result.duplicates:
        err.print(f"[bold red]near-duplicates in one set[/] {line}", highlight=False)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _table(result: EvalReport) -> Table:
    run = result.run
    table = Table(
        title=f"{Path(run.dataset).name} ({run.split}: {run.queries} queries, {run.documents} documents, "
        f"{run.pieces} pieces)"
    )
    for column in ("method", "nDCG@10", "Recall@100", "MRR@10", "query s"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for name, s in result.methods.items():
        table.add_row(
            name,
            f"{s.ndcg_at_10:.4f}",
            f"{s.recall_at_100:.4f}",
            f"{s.mrr_at_10:.4f}",
            f"{run.query_seconds[name]:.1f}",
        )
    table.caption = f"index {'reused' if run.index_reused else 'built'}: {run.index}; {run.seconds:.0f}s in all"
    return table
