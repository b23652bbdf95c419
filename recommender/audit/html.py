"""The audit as one self-contained HTML page: inline CSS, no scripts, no external assets.

A page a content lead can forward: the summary first, then the coverage heatmaps, the duplicate
clusters, the problem gaps, the expired and stale items and the missing metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from recommender.audit.report import (
    AuditReport,
    ClusterMember,
    CoverageCell,
    CoverageMatrix,
    DuplicateCluster,
    FreshnessFinding,
    ItemRef,
    MissingMetadata,
    PairSimilarity,
    ProblemGaps,
)

LONG_LIST = 25  # longer tables start folded (a <details> element, no script needed)


def render_html(report: AuditReport) -> str:
    body = "\n".join(
        [
            _header(report),
            _fix_first(report),
            _summary(report),
            _section(
                "Coverage: buying job x role", _heatmap(report.coverage_roles), _coverage_note(report.coverage_roles)
            ),
            _section(
                "Coverage: buying job x industry",
                _heatmap(report.coverage_industries),
                _coverage_note(report.coverage_industries),
            ),
            _section(
                "Near-duplicate items",
                _clusters(report.duplicates),
                f"Screened at document similarity {report.thresholds.duplicate_screen:.2f}, confirmed at "
                f"passage alignment {report.thresholds.duplicate_alignment:.2f}.",
            ),
            _section(
                "Sections repeated across items",
                _clusters(report.section_duplicates),
                f"Sections of at least {report.thresholds.section_min_words} words in different items that "
                f"share {report.thresholds.section_overlap:.0%} or more of their wording (word 3-grams).",
            ),
            _gaps(report.problem_gaps, report.thresholds.answers),
            _section(
                "Expired and stale items",
                _freshness([*report.expired, *report.stale]),
                f"Stale: not updated for {report.thresholds.stale_months} months. {len(report.undated)} "
                "items have no 'updated' date.",
            ),
            _section(
                "Missing metadata",
                _missing(report.missing_metadata),
                "Without an audience an item is internal and never reaches a buyer; without stages or roles "
                "it cannot be fitted to one.",
            ),
            _never(report),
            _engagement(report),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width">\n<title>Content audit '
        f"{escape(report.today.isoformat())}</title>\n<style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _header(report: AuditReport) -> str:
    return (
        f'<header><h1>Content library audit</h1><p class="muted">{report.documents} items in '
        f"<code>{escape(report.index)}</code> "
        f"(build {escape(report.build_id)}), as of {report.today.isoformat()}</p></header>"
    )


def _fix_first(report: AuditReport) -> str:
    if not report.fix_first:
        return "<section><h2>Fix first</h2><p>Nothing urgent: no finding needs action first.</p></section>"
    rows = "".join(
        f'<li class="{f.severity}"><b>{escape(f.severity)}</b> {escape(f.what)}<br><span '
        f'class="muted">{escape(f.action)}</span></li>'
        for f in report.fix_first
    )
    return f'<section><h2>Fix first</h2><ol class="fixes">{rows}</ol></section>'


def _summary(report: AuditReport) -> str:
    s = report.summary
    tiles = [
        ("items", s.documents, ""),
        ("sendable to buyers", s.sendable, ""),
        ("duplicate clusters", s.duplicate_clusters, "warn"),
        ("expired", s.expired, "bad"),
        ("stale", s.stale, "warn"),
        ("missing metadata", s.missing_metadata, "warn"),
        ("empty role cells", s.empty_cells, "bad"),
        ("thin role cells", s.thin_cells, "warn"),
    ]
    if s.problem_gaps is not None:
        tiles.append((f"problem gaps of {s.problems_checked}", s.problem_gaps, "bad"))
    if s.never_recommended is not None:
        tiles.append(("never recommended", s.never_recommended, "warn"))
    cells = "".join(
        f'<div class="tile {kind if value else ""}"><b>{value}</b><span>{escape(label)}</span></div>'
        for label, value, kind in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _section(title: str, content: str, note: str = "") -> str:
    lead = f'<p class="muted">{escape(note)}</p>' if note else ""
    return f"<section><h2>{escape(title)}</h2>{lead}{content}</section>"


def _heatmap(matrix: CoverageMatrix) -> str:
    top = max((c.count for c in matrix.cells), default=0) or 1
    head = "".join(f'<th class="col">{escape(c)}</th>' for c in matrix.columns)
    rows = []
    for stage in matrix.stages:
        cells = "".join(_heat_cell(matrix.cell(stage, column), top) for column in matrix.columns)
        rows.append(f'<tr><th class="row">{escape(stage)}</th>{cells}</tr>')
    legend = (
        '<p class="legend"><span class="sw empty"></span> empty <span class="sw thin"></span> thin ('
        + str(matrix.thin_at_most)
        + ' or fewer) <span class="sw ok"></span> more items, darker = more</p>'
    )
    return f'<table class="heat"><tr><th></th>{head}</tr>{"".join(rows)}</table>{legend}'


def _heat_cell(cell: CoverageCell, top: int) -> str:
    tip = escape(", ".join(cell.items) or "no sendable item")
    if cell.flag == "ok":
        alpha = 0.15 + 0.85 * cell.count / top
        ink = "#fff" if alpha > 0.55 else "#123"
        return (
            f'<td class="ok" style="background:rgba(30,90,170,{alpha:.2f});color:{ink}" title="{tip}">{cell.count}</td>'
        )
    return f'<td class="{cell.flag}" title="{tip}">{cell.count}</td>'


def _coverage_note(matrix: CoverageMatrix) -> str:
    empty, thin = len(matrix.flagged("empty")), len(matrix.flagged("thin"))
    untagged = (
        f" {len(matrix.untagged)} sendable items lack a stage or {matrix.dimension} tag and count in no cell."
        if matrix.untagged
        else ""
    )
    return (
        f"Buyer-facing, unexpired items per cell: {empty} empty and {thin} thin cells.{untagged} Hover a "
        "cell for its items."
    )


def _clusters(clusters: Sequence[DuplicateCluster]) -> str:
    if not clusters:
        return '<p class="ok-note">None found.</p>'
    return _fold(len(clusters), "".join(_cluster(c) for c in clusters), "clusters")


def _cluster(cluster: DuplicateCluster) -> str:
    rows = "".join(_member_row(m, keep=m.item.id == cluster.keep) for m in cluster.members)
    pairs = "; ".join(_pair_text(p) for p in cluster.pairs)
    return (
        f'<div class="card"><p><b>similarity {pairs}</b></p><table '
        f'class="list"><tr><th></th><th>id</th><th>title</th><th>updated</th><th>owner</th></tr>{rows}</table>'
        f"<p>{escape(cluster.advice)}</p></div>"
    )


def _pair_text(pair: PairSimilarity) -> str:
    if pair.alignment is not None:
        return f"{pair.similarity:.3f} (alignment {pair.alignment:.3f})"
    return f"{pair.similarity:.3f} ({pair.overlap or 0:.0%} of wording shared)"


def _member_row(member: ClusterMember, *, keep: bool) -> str:
    badges = ('<span class="badge keep">keep</span> ' if keep else "") + (
        '<span class="badge bad">expired</span>' if member.expired else ""
    )
    section = f'<br><span class="muted">{escape(member.section)}</span>' if member.section else ""
    item = member.item
    return (
        f"<tr><td>{badges}</td><td><code>{escape(item.id)}</code>{section}</td><td>{escape(item.title)}</td>"
        f'<td class="nowrap">{_date(item.updated)}</td><td>{escape(item.owner or "-")}</td></tr>'
    )


def _gaps(gaps: ProblemGaps | None, answers: float) -> str:
    if gaps is None:
        return _section("Problem gaps", '<p class="muted">No problems file given (--problems).</p>')
    note = (
        f"{len(gaps.gaps)} of {gaps.checked} common problems in {gaps.source} have no buyer-facing item "
        "that reaches the recommender's "
        f"answer threshold ({answers:.2f}; the mark on each bar): the content team's to-do list."
    )
    rows = "".join(
        f"<tr><td>{escape(g.problem)}</td><td>{_closest(g.closest.id, g.closest.title) if g.closest else '-'}</td>"
        f"<td>{_bar(g.closest.similarity if g.closest else 0.0, answers)}</td></tr>"
        for g in gaps.gaps
    )
    table = (
        f'<table class="list"><tr><th>problem</th><th>closest item</th><th>how close</th></tr>{rows}</table>'
        if rows
        else '<p class="ok-note">Every problem is answered.</p>'
    )
    return _section("Problem gaps", table, note)


def _closest(item_id: str, title: str) -> str:
    return f"{escape(title)}<br><code>{escape(item_id)}</code>"


def _bar(value: float, threshold: float) -> str:
    """A bar on a scale where the threshold sits at two thirds."""
    full = 1.5 * threshold if threshold > 0 else 1.0
    width = min(max(value, 0.0) / full, 1.0) * 100
    return (
        f'<div class="bar"><span style="width:{width:.0f}%"></span><i style="left:{100 / 1.5:.0f}%"></i></div>'
        f'<span class="muted">{value:.2f}</span>'
    )


def _freshness(findings: Sequence[FreshnessFinding]) -> str:
    if not findings:
        return '<p class="ok-note">None.</p>'
    rows = "".join(
        '<tr><td><span class="badge '
        f'{"bad" if f.status == "expired" else "warn"}">{f.status}</span></td>'
        f"{_item_cells(f.item)}<td>{escape(f.detail)}</td></tr>"
        for f in findings
    )
    return _fold(
        len(findings),
        f'<table class="list"><tr><th></th><th>id</th><th>title</th><th>owner</th><th></th></tr>{rows}</table>',
        "items",
    )


def _missing(missing: Sequence[MissingMetadata]) -> str:
    if not missing:
        return '<p class="ok-note">None.</p>'
    rows = "".join(f"<tr>{_item_cells(m.item)}<td>{escape(', '.join(m.missing))}</td></tr>" for m in missing)
    return _fold(
        len(missing),
        f'<table class="list"><tr><th>id</th><th>title</th><th>owner</th><th>missing</th></tr>{rows}</table>',
        "items",
    )


def _never(report: AuditReport) -> str:
    unused = report.never_recommended
    if unused is None:
        return _section("Never recommended", '<p class="muted">No batch results given (--results).</p>')
    note = (
        f"{len(unused.items)} items (of them {unused.buyer_facing} buyer-facing) were picked for none of "
        f"the {unused.results} requests in {unused.source}."
    )
    rows = "".join(f"<tr>{_item_cells(i)}<td>{i.audience}</td></tr>" for i in unused.items)
    return _section(
        "Never recommended",
        _fold(
            len(unused.items),
            f'<table class="list"><tr><th>id</th><th>title</th><th>owner</th><th>audience</th></tr>{rows}</table>',
            "items",
        ),
        note,
    )


def _engagement(report: AuditReport) -> str:
    found = report.engagement
    if found is None:
        return _section("Engagement", '<p class="muted">No deal-room engagement events are stored.</p>')
    unopened = "".join(f"<tr>{_item_cells(u.item)}<td>{u.deals}</td></tr>" for u in found.sent_never_opened)
    working = "".join(
        f"<tr><td>{escape(w.stage)}</td>{_item_cells(w.item)}<td>{w.read} of {w.deals}</td></tr>" for w in found.working
    )
    return _section(
        "Engagement",
        '<h3>Sent but never opened</h3><table class="list"><tr><th>id</th><th>title</th><th>owner</th>'
        f"<th>deals sent to</th></tr>{unopened}</table>"
        '<h3>Works at each stage</h3><table class="list"><tr><th>stage</th><th>id</th><th>title</th><th>owner</th>'
        f"<th>read to the end</th></tr>{working}</table>",
        f"{found.events} events; the library's read-to-the-end rate is {found.library_rate:.0%}.",
    )


def _item_cells(item: ItemRef) -> str:
    return f"<td><code>{escape(item.id)}</code></td><td>{escape(item.title)}</td><td>{escape(item.owner or '-')}</td>"


def _fold(count: int, content: str, noun: str) -> str:
    if count <= LONG_LIST:
        return content
    return f"<details><summary>Show all {count} {noun}</summary>{content}</details>"


def _date(value: object) -> str:
    return escape(str(value)) if value else "-"


_CSS = """
body{
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b2430;margin:0 auto;max-width:1180px;
  padding:24px 32px;background:#fafbfc}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 6px;border-bottom:2px solid #e3e8ef;padding-bottom:4px}
.muted{color:#5b6878}.fixes li{margin:6px 0}.fixes .blocker b,.fixes .high b{color:#b42318}
.fixes .medium b{color:#8a5a00}.fixes .low b{color:#5b6878}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#eef1f5;padding:1px 4px;border-radius:3px}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:18px 0}
.tile{
  background:#fff;border:1px solid #dde3ea;border-left:5px solid #7a8aa0;border-radius:6px;padding:8px 14px;
  min-width:120px}
.tile b{display:block;font-size:24px}.tile span{color:#5b6878;font-size:12px}.tile.bad{border-left-color:#c9372c}
.tile.warn{border-left-color:#d98e04}
table{border-collapse:collapse;background:#fff}th,td{padding:5px 8px;text-align:left;vertical-align:top}
table.list{width:100%;border:1px solid #dde3ea}table.list tr:nth-child(even){background:#f5f7fa}
table.list th{background:#eef1f5;font-weight:600}
table.heat td{width:86px;height:34px;text-align:center;font-weight:600;border:2px solid #fafbfc;border-radius:4px}
table.heat th.col{font-size:12px;text-align:center;width:86px}
table.heat th.row{font-size:13px;white-space:nowrap;padding-right:12px}
td.empty{
  background:#fbe3e1;color:#a52a21;
  background-image:repeating-linear-gradient(45deg,transparent 0 6px,rgba(201,55,44,.12) 6px 12px)}
td.thin{background:#fff3d6;color:#8a5a00;box-shadow:inset 0 0 0 2px #e0a526}
.legend{font-size:12px;color:#5b6878}
.sw{display:inline-block;width:14px;height:14px;vertical-align:middle;margin:0 4px 0 12px;border-radius:3px}
.sw.empty{background:#fbe3e1;border:1px solid #c9372c}.sw.thin{background:#fff3d6;border:1px solid #e0a526}
.sw.ok{background:rgba(30,90,170,.7)}
.card{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:4px 14px 8px;margin:10px 0}
.badge{display:inline-block;font-size:11px;font-weight:700;padding:1px 6px;border-radius:9px;text-transform:uppercase}
.badge.keep{background:#dff3e4;color:#1d6b34}.badge.bad{background:#fbe3e1;color:#a52a21}
.badge.warn{background:#fff3d6;color:#8a5a00}
.bar{
  position:relative;display:inline-block;width:120px;height:10px;background:#eef1f5;border-radius:5px;
  margin-right:6px;vertical-align:middle}
.bar span{position:absolute;left:0;top:0;bottom:0;background:#d98e04;border-radius:5px}
.bar i{position:absolute;top:-3px;bottom:-3px;width:2px;background:#1b2430}
.ok-note{color:#1d6b34}.nowrap{white-space:nowrap}details summary{cursor:pointer;color:#1e5aaa;margin:6px 0}
"""
