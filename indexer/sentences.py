"""Sentences: the units an answer is judged by and quoted from.

A section's plain text is cut into sentences (prose), list items and table rows. A table row is
kept with its table's header row, so "| SOC 2 Type II | on request |" is read and quoted as
"Report | Availability / SOC 2 Type II | on request" rather than as a fragment. Each sentence
records its character span in the section, so it can be matched to the pieces (overlapping
windows of the section) that contain it; a sentence cut by a piece boundary is still quoted whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

MIN_CHARS = 12  # shorter lines ("Yes.", "- n/a") say too little to judge or quote
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
_TABLE_ROW = " | "


@dataclass(frozen=True)
class Sentence:
    start: int  # character span in the section text
    end: int
    text: str  # as quoted: a table row carries its header row before it
    embed_text: str  # as embedded: a table row with its header, cells paired


def split_sentences(text: str) -> list[Sentence]:
    """The sentences, list items and table rows of a section's plain text, in order."""
    out: list[Sentence] = []
    header: str | None = None
    for start, line in _lines(text):
        stripped = line.strip()
        if _TABLE_ROW in stripped:
            if header is None:
                header = stripped
                out.append(Sentence(start, start + len(line), stripped, stripped))
                continue
            out.append(_row(start, line, header))
            continue
        header = None
        out.extend(_prose(start, line))
    return [s for s in out if len(s.text) >= MIN_CHARS]


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            yield offset, line
        offset += len(line) + 1


def _row(start: int, line: str, header: str) -> Sentence:
    row = line.strip()
    names, cells = header.split(_TABLE_ROW), row.split(_TABLE_ROW)
    paired = "; ".join(f"{n}: {c}" if n and n != c else c for n, c in zip(names, cells) if c)
    return Sentence(start, start + len(line), f"{header} / {row}", paired or row)


def _prose(start: int, line: str) -> Iterator[Sentence]:
    body = line.lstrip()
    offset = start + len(line) - len(body)
    if body.startswith("- "):
        body, offset = body[2:], offset + 2
    position = 0
    for match in _SENTENCE_END.finditer(body):
        piece = body[position : match.start() + len(match.group(0).rstrip())]
        yield Sentence(offset + position, offset + position + len(piece), piece.strip(), piece.strip())
        position = match.end()
    rest = body[position:]
    if rest.strip():
        yield Sentence(offset + position, offset + len(body), rest.strip(), rest.strip())


def piece_spans(section_text: str, pieces: Sequence[str]) -> list[tuple[int, int]]:
    """Where each piece (a window of the section's words, stripped) lies in the section text."""
    spans, cursor = [], 0
    for piece in pieces:
        head = piece[:64]
        found = section_text.find(head, cursor) if head else -1
        if found < 0:
            found = section_text.find(head)
        start = max(found, 0)
        spans.append((start, start + len(piece)))
        cursor = start + 1
    return spans


def pieces_of(sentence: Sentence, spans: Sequence[tuple[int, int]]) -> list[int]:
    """The pieces (by position in `spans`) that hold any part of `sentence`."""
    return [i for i, (start, end) in enumerate(spans) if start < sentence.end and sentence.start < end]
