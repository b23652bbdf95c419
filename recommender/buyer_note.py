"""An email-ready note to the buyer, written from a Recommendation: what each item helps them with, and its link.

The note speaks to the buyer, in their own words: the problems they raised, the part worth reading
and its minutes, and one line of the item itself. Nothing internal reaches it: seller-only items are
left out entirely, and there are no scores, no reasons written for the seller, and no word about what
the library lacks - a problem nothing answers gets a promise to follow up, nothing more.

Each paragraph is one line, so the plain text pastes into an email client without hard wraps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from recommender.mdtext import escape
from recommender.models import Recommendation, RecommendedItem

NoteStyle = Literal["text", "markdown"]
GREETING = "Hello,"
CLOSING = "Happy to talk any of these through - just reply to this email."
CLOSING_NOTHING = "Happy to talk it through in the meantime - just reply to this email."
NOTHING_YET = (
    "Thank you for the conversation. I do not have a short read that fits what you raised yet, "
    "so I will come back to you on it directly."
)


@dataclass(frozen=True)
class NoteItem:
    """One item as the buyer sees it."""

    title: str
    url: str | None
    helps: str  # the sentence saying what it helps with and where to start
    quote: str | None  # one line of the item itself, when it reads as prose


def buyer_note(recommendation: Recommendation, style: NoteStyle) -> str:
    """The note as plain text (paragraphs on one line each) or markdown; internal items never appear."""
    sent = sent_items(recommendation)
    items = [_note_item(item) for item in sent]
    minutes = sum(item.reading_minutes for item in sent)
    follow_up = [gap.problem for gap in recommendation.gaps]
    render = _markdown_item if style == "markdown" else _text_item
    body = [render(number, item) for number, item in enumerate(items, start=1)]
    paragraphs = [GREETING, _opening(len(items), minutes) if items else NOTHING_YET, *body]
    if follow_up and items:
        paragraphs.append(f"On {_quoted(follow_up, style)}, I will come back to you separately.")
    paragraphs.append(CLOSING if items else CLOSING_NOTHING)
    return "\n\n".join(paragraphs) + "\n"


def sent_items(recommendation: Recommendation) -> list[RecommendedItem]:
    """The items the note sends the buyer: the set without its seller-only items."""
    return [item for item in recommendation.items if not item.internal]


def _opening(count: int, minutes: int) -> str:
    if count == 1:
        return f"Thank you for the conversation. Here is one short read on what you raised, about {minutes} min:"
    return (
        f"Thank you for the conversation. Here are {count} short reads on what you raised, about {minutes} min in all:"
    )


def _note_item(item: RecommendedItem) -> NoteItem:
    start = (
        f'start with "{item.section.heading}" ({item.reading_minutes} min)'
        if item.reading_minutes < item.item_reading_minutes
        else f"a {item.reading_minutes}-minute read"
    )
    helps = (
        f"It speaks to {_join(_in_quotes(item.problems))}; {start}."
        if item.problems
        else f"{start[0].upper()}{start[1:]}."
    )
    return NoteItem(title=item.title, url=item.url, helps=helps, quote=_prose_quote(item))


def _prose_quote(item: RecommendedItem) -> str | None:
    """The first quoted passage that reads as a sentence (a table row with its header does not)."""
    for reason in item.reasons:
        quote = reason.evidence.quote
        if quote and " | " not in quote:
            return " ".join(quote.split())
    return None


def _text_item(number: int, item: NoteItem) -> str:
    link = f" - {item.url}" if item.url else ""
    lines = [f"{number}. {item.title}{link}", f"   {item.helps}"]
    if item.quote:
        lines.append(f"   In its words: “{item.quote}”")
    return "\n".join(lines)


def _markdown_item(number: int, item: NoteItem) -> str:
    title = escape(item.title)
    heading = f"**[{title}](<{item.url}>)**" if item.url else f"**{title}**"
    lines = [f"{number}. {heading}  ", f"   {escape(item.helps)}"]
    if item.quote:
        lines.append(f"   > {escape(item.quote)}")
    return "\n".join(lines)


def _quoted(problems: list[str], style: NoteStyle) -> str:
    text = _join(_in_quotes(problems))
    return escape(text) if style == "markdown" else text


def _in_quotes(problems: list[str]) -> list[str]:
    return [f'"{problem}"' for problem in problems]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
