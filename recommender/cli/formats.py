"""`--format text|markdown|email|json`: how `recommend`, `ask` and `batch` write an answer.

- text: the seller's view for a terminal (no panel and no wrapping when piped);
- markdown: the same seller's view as markdown;
- email: the note to the buyer (recommender/buyer_note.py) - nothing internal, nothing for the seller;
- json: the Recommendation exactly as the HTTP API returns it.
"""

from __future__ import annotations

import io
from enum import StrEnum

import typer
from rich.console import Console

from recommender.buyer_note import buyer_note
from recommender.cli.render import render, render_per_role
from recommender.models import PerRoleRecommendation, Recommendation
from recommender.seller_markdown import seller_markdown, seller_markdown_per_role

FORMAT_HELP = (
    "text (the seller's view), markdown (the seller's view as markdown), "
    "email (a note to the buyer: nothing internal), json (the API's JSON)."
)


class OutputFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    email = "email"
    json = "json"


def chosen_format(fmt: OutputFormat | None, *, as_json: bool) -> OutputFormat:
    """`--json` is the older spelling of `--format json`; the two may not disagree."""
    if as_json and fmt not in (None, OutputFormat.json):
        raise typer.BadParameter(f"--json means --format json, not --format {fmt.value}; give one", param_hint="--json")
    return OutputFormat.json if as_json else (fmt or OutputFormat.text)


def show(console: Console, answer: Recommendation, fmt: OutputFormat) -> None:
    """Print one answer in `fmt` (text goes through rich; the others are written verbatim)."""
    if fmt is OutputFormat.text:
        render(console, answer)
    else:
        typer.echo(formatted(answer, fmt), nl=False)


def show_per_role(console: Console, answer: PerRoleRecommendation, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.text:
        render_per_role(console, answer)
    elif fmt is OutputFormat.markdown:
        typer.echo(seller_markdown_per_role(answer), nl=False)
    elif fmt is OutputFormat.email:
        notes = [f"--- to the {part.role} ---\n\n{buyer_note(part.recommendation, 'text')}" for part in answer.roles]
        typer.echo("\n".join(notes), nl=False)
    else:
        typer.echo(answer.model_dump_json(indent=2))


def formatted(answer: Recommendation, fmt: OutputFormat) -> str:
    """The answer as one string in `fmt`, ending with a newline."""
    if fmt is OutputFormat.markdown:
        return seller_markdown(answer)
    if fmt is OutputFormat.email:
        return buyer_note(answer, "text")
    if fmt is OutputFormat.json:
        return answer.model_dump_json(indent=2) + "\n"
    return plain_text(answer)


def plain_text(answer: Recommendation) -> str:
    """The text view as a string: no colours, no panel, no wrapping."""
    buffer = io.StringIO()
    render(Console(file=buffer, force_terminal=False, color_system=None, width=10_000), answer)
    return buffer.getvalue()
