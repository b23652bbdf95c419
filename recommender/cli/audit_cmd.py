"""`recommender audit`: what a content team should fix in the library."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indexer.errors import RecommenderError
from indexer.store import load_index
from indexer.vocabulary import load_vocabulary
from recommender.audit import STALE_MONTHS, AuditOptions, AuditReport, audit_library, render_html
from recommender.audit.metadata_file import MIN_CONFIDENCE, apply_file, suggestions_file
from recommender.audit.report import CoverageMatrix, DuplicateCluster, EngagementFindings, Fix
from recommender.cli.app import app, date_option, err, out, settings_of, user_errors
from recommender.events.store import existing_store
from recommender.service import Recommender

SHOWN = 12  # rows per list in the terminal; --json and --html have them all


@app.command(
    "audit",
    help="Audit the library: what to fix first, near-duplicates, expired and stale items, missing metadata, "
    "coverage and gaps.",
)
@user_errors
def audit_command(
    ctx: typer.Context,
    index: Path | None = typer.Option(
        None, "--index", help="Index directory (default .recommender/index, or RECOMMENDER_INDEX)."
    ),
    problems: Path | None = typer.Option(
        None, "--problems", help="Common buyer problems, one per line: report those nothing buyer-facing answers."
    ),
    results: Path | None = typer.Option(
        None, "--results", help="Output of 'recommender batch': report the items it never picked."
    ),
    stale_months: int = typer.Option(
        STALE_MONTHS, "--stale-months", min=1, help="Items not updated for this many months are stale."
    ),
    today: str | None = typer.Option(
        None, "--today", help="Date to judge expiry and staleness by (YYYY-MM-DD; default: today)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON and nothing else on stdout."),
    html: Path | None = typer.Option(None, "--html", help="Also write the report as one self-contained HTML page."),
    suggest: Path | None = typer.Option(
        None,
        "--suggest",
        help="Write suggested type, stages and roles for untagged items to this YAML file, to review and "
        "apply with 'recommender apply-metadata'.",
    ),
) -> None:
    """What a content team should fix in the library (help text on the decorator)."""
    settings = settings_of(ctx, index=index)
    options = AuditOptions(
        today=date_option(today, "--today"),
        stale_months=stale_months,
        problems=problems,
        results=results,
        events=existing_store(settings),
        vocabulary=load_vocabulary(settings.vocabulary),
    )
    recommender = None
    if problems is not None or suggest is not None:
        recommender = Recommender.open(settings, today=lambda: options.today)
        report = audit_library(recommender.snapshot, options, recommender=recommender if problems is not None else None)
    else:
        report = audit_library(load_index(settings.index, model_id=None), options)
    if html is not None:
        _write(html, render_html(report))
        err.print(f"wrote {html}", highlight=False)
    if suggest is not None and recommender is not None:
        found = suggestions_file(recommender)
        _write(suggest, found.text)
        err.print(
            f"wrote {suggest}: suggestions for {found.items} item(s); review it, then run 'recommender "
            f"apply-metadata {suggest}'",
            highlight=False,
        )
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        render_report(out, report)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RecommenderError(
            f"cannot write {path}: {exc.strerror or exc}", hint="Choose a writable path for --html."
        ) from exc


# ---- terminal rendering -------------------------------------------------------------------


def render_report(console: Console, report: AuditReport) -> None:
    s = report.summary
    console.print(
        f"[bold]Audit of {s.documents} items[/] ({s.sendable} sendable to buyers) as of {report.today}", highlight=False
    )
    _fixes(console, report.fix_first)
    _clusters(console, "Near-duplicate items", report.duplicates)
    _clusters(console, "Sections repeated across items", report.section_duplicates)
    _rows(
        console,
        "Expired and stale",
        [
            f"[{'red' if f.status == 'expired' else 'yellow'}]{f.status}[/] {escape(f.item.id)} - "
            f"{escape(f.detail)}{_owner(f.item.owner)}"
            for f in [*report.expired, *report.stale]
        ],
    )
    _rows(
        console,
        "Missing metadata",
        [f"{escape(m.item.id)}: no {', '.join(m.missing)}{_owner(m.item.owner)}" for m in report.missing_metadata],
    )
    console.print(_heat(report.coverage_roles))
    console.print(_heat(report.coverage_industries))
    if report.problem_gaps is not None:
        g = report.problem_gaps
        _rows(console, f"Problem gaps ({len(g.gaps)} of {g.checked} problems)", [escape(gap.message) for gap in g.gaps])
    if report.never_recommended is not None:
        n = report.never_recommended
        _rows(
            console,
            f"Never recommended in {n.results} requests ({n.buyer_facing} buyer-facing)",
            [f"{escape(i.id)} ({i.audience})" for i in n.items],
        )
    if report.engagement is not None:
        _engagement(console, report.engagement)
    console.print(_summary_line(report), highlight=False)


def _engagement(console: Console, found: EngagementFindings) -> None:
    _rows(
        console,
        f"Sent but never opened ({found.events} engagement events)",
        [f"{escape(u.item.id)}: sent to {u.deals} deal(s){_owner(u.item.owner)}" for u in found.sent_never_opened],
    )
    _rows(
        console,
        f"Works at each stage (library read-to-the-end rate {found.library_rate:.0%})",
        [f"{w.stage}: {escape(w.item.id)} - read to the end in {w.read} of {w.deals} deal(s)" for w in found.working],
    )


def _fixes(console: Console, fixes: Sequence[Fix]) -> None:
    style = {"blocker": "bold red", "high": "red", "medium": "yellow", "low": "dim"}
    lines = [
        f"{f.rank}. [{style[f.severity]}]{f.severity}[/] {escape(f.what)}\n     [dim]{escape(f.action)}[/]"
        for f in fixes
    ]
    _rows(console, "Fix first", lines)


def _clusters(console: Console, title: str, clusters: Sequence[DuplicateCluster]) -> None:
    lines = []
    for c in clusters:
        members = " + ".join(escape(m.item.id + (f" / {m.section}" if m.section else "")) for m in c.members)
        lines.append(f"{members}: similarity {c.similarity:.3f}")
        lines.append(f"  [dim]{escape(c.advice)}[/]")
    _rows(console, f"{title} ({len(clusters)})", lines, limit=2 * SHOWN)


def _rows(console: Console, title: str, lines: Sequence[str], *, limit: int = SHOWN) -> None:
    console.print(f"\n[bold]{escape(title)}[/]" + ("" if lines else " - none"), highlight=False)
    for line in lines[:limit]:
        console.print(f"  {line}", highlight=False)
    if len(lines) > limit:
        console.print(f"  [dim]... and {len(lines) - limit} more (see --json or --html)[/]", highlight=False)


def _owner(owner: str | None) -> str:
    return f" [dim](owner: {escape(owner)})[/]" if owner else ""


def _heat(matrix: CoverageMatrix) -> Table:
    table = Table(
        title=f"\nSendable items per buying job x {matrix.dimension}", title_justify="left", title_style="bold"
    )
    table.add_column("")
    for column in matrix.columns:
        table.add_column(column, justify="right")
    style = {"empty": "bold red", "thin": "yellow", "ok": ""}
    for stage in matrix.stages:
        cells = [matrix.cell(stage, column) for column in matrix.columns]
        table.add_row(stage, *(f"[{style[c.flag]}]{c.count}[/]" if style[c.flag] else str(c.count) for c in cells))
    return table


def _summary_line(report: AuditReport) -> str:
    s = report.summary
    parts = [
        f"{s.duplicate_clusters} duplicate clusters",
        f"{s.section_clusters} repeated sections",
        f"{s.expired} expired",
        f"{s.stale} stale",
        f"{s.missing_metadata} missing metadata",
        f"{s.empty_cells} empty and {s.thin_cells} thin job x role cells",
    ]
    if s.problem_gaps is not None:
        parts.append(f"{s.problem_gaps} of {s.problems_checked} problems unanswered")
    if s.never_recommended is not None:
        parts.append(f"{s.never_recommended} items never recommended")
    return "\nSummary: " + ", ".join(parts) + "."


@app.command(
    "apply-metadata",
    help="Add reviewed metadata suggestions to the library's files: only keys a file lacks, never overwriting; "
    "re-index afterwards.",
)
@user_errors
def apply_metadata_command(
    suggestions: Path = typer.Argument(..., help="The file 'recommender audit --suggest' wrote, after review."),
    library: Path = typer.Option(..., "--library", help="The folder of markdown files that was indexed."),
    min_confidence: float = typer.Option(
        MIN_CONFIDENCE, "--min-confidence", min=0.0, max=1.0, help="Skip suggested values below this confidence."
    ),
) -> None:
    """Reviewed suggestions into the library's files (help text on the decorator)."""
    applied = apply_file(suggestions, library, min_confidence=min_confidence)
    for change in applied:
        out.print(f"{escape(change.path)}: added {', '.join(change.keys)}", highlight=False)
    err.print(
        f"updated {len(applied)} file(s); run 'recommender index {library}' to use the new metadata", highlight=False
    )
