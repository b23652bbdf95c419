"""Compact, readable terminal rendering of a Recommendation (rich).

On a terminal the recognised request sits in a panel and long lines wrap to the window. When the
output is not a terminal (a pipe, a file, a string for a batch file) there is no panel and no line is
ever wrapped, so quotes stay whole and the text pastes cleanly.
"""

from __future__ import annotations

import functools

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from recommender.models import PerRoleRecommendation, Recommendation, RecommendedItem


def render(console: Console, answer: Recommendation, *, title: str = "Recommendation") -> None:
    terminal = console.is_terminal
    show = functools.partial(console.print, soft_wrap=not terminal, highlight=False)
    if terminal:
        show(Panel(_recognised(answer), title=title, title_align="left", expand=False))
    else:
        show(Text(f"{title}\n") + _recognised(answer))
    if not answer.items:
        show("[yellow]Nothing to send: no content in the library answers these problems well.[/]")
    for number, item in enumerate(answer.items, start=1):
        show(_item(number, item))
    for gap in answer.gaps:
        show(f"[bold yellow]gap[/] {escape(gap.message)}")
    for cut in answer.trimmed:
        show(f"[dim]left out[/] {escape(cut.title)} [dim]({cut.id}): {cut.reason} - {escape(cut.detail)}[/]")
    if answer.deal is not None:
        show(f"[bold]deal[/] {escape(answer.deal.message)}")


def render_per_role(console: Console, answer: PerRoleRecommendation) -> None:
    for part in answer.roles:
        render(console, part.recommendation, title=f"For the {part.role}")


def _recognised(answer: Recommendation) -> Text:
    r = answer.recognised
    parts = [f"for {r.audience}"]
    if r.stage:
        parts.append(
            f"stage {r.stage}" + (f" (from '{r.stage_given}')" if r.stage_given and r.stage_given != r.stage else "")
        )
    if r.roles:
        parts.append("roles " + ", ".join(r.roles))
    if r.industry:
        parts.append(f"industry {r.industry}")
    if r.competitors:
        parts.append("competitors " + ", ".join(r.competitors))
    context = f"\nRead as context: {' | '.join(r.context)}" if r.context else ""
    return Text("Recognised: " + "; ".join(parts) + context + "\nProblems: " + " | ".join(r.problems))


def _item(number: int, item: RecommendedItem) -> Group:
    flag = " [bold red]INTERNAL - do not send[/]" if item.internal else ""
    where = item.url or item.source_path
    read = (
        f"read '{escape(item.section.heading)}', {item.reading_minutes} min"
        if item.reading_minutes < item.item_reading_minutes
        else f"read it all, {item.reading_minutes} min"
    )
    lines = [
        Text.from_markup(
            f"[bold]{number}. {escape(item.title)}[/] [dim]({item.type}, {item.id}, score {item.score:.2f})[/]{flag}"
        ),
        Text.from_markup(f"   {read} - [link={where}]{escape(where)}[/link]"),
    ]
    for reason in item.reasons:
        lines.append(Text(f"   • {reason.text}"))
        if reason.evidence.quote:
            lines.append(Text(f"     “{reason.evidence.quote}”", style="italic dim"))
    return Group(*lines)
