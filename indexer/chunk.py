"""Cut section text into pieces the model reads whole, with overlap.

all-MiniLM-L6-v2 truncates at 256 word pieces; text past that would silently not count. Each
piece is a window of whole words whose word pieces, plus the title/heading prefix and the special
tokens, fit the model; consecutive windows overlap so no sentence is lost at a boundary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"\S+\s*")

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Budget:
    """How many word pieces a piece's own text may use, and how many to repeat between pieces."""

    tokens: int
    overlap: int


def split_text(text: str, *, counts: Sequence[int], words: Sequence[str], budget: Budget) -> list[str]:
    """Windows over `words` (whose token costs are `counts`) that each fit `budget.tokens`."""
    if sum(counts) <= budget.tokens:
        return [text.strip()]
    pieces: list[str] = []
    start = 0
    while start < len(words):
        end, used = start, 0
        while end < len(words) and (used + counts[end] <= budget.tokens or end == start):
            used += counts[end]
            end += 1
        pieces.append("".join(words[start:end]).strip())
        if end >= len(words):
            break
        start = _overlap_start(counts, start, end, budget.overlap)
    return pieces


def _overlap_start(counts: Sequence[int], start: int, end: int, overlap: int) -> int:
    back, used = end, 0
    while back > start + 1 and used + counts[back - 1] <= overlap:
        back -= 1
        used += counts[back]
    return back


def split_words(text: str) -> list[str]:
    """Whole words with their trailing whitespace, so joining them keeps line breaks."""
    return _WORD.findall(text)


def chunk_section(text: str, *, token_counts: TokenCounter, budget: Budget) -> list[str]:
    words = split_words(text)
    if not words:
        return []
    counts = token_counts([w.strip() for w in words])
    if max(counts) > budget.tokens:
        words, counts = _split_long_words(words, counts, token_counts, budget.tokens)
    return split_text(text, counts=counts, words=words, budget=budget)


def _split_long_words(
    words: Sequence[str], counts: Sequence[int], token_counts: TokenCounter, limit: int
) -> tuple[list[str], list[int]]:
    """Cut a word that alone exceeds a piece (a long URL, minified JSON) into characters.

    A word piece covers at least one character, so the characters' counts add up to at least
    the word's own cost: windows over them still fit the model.
    """
    out_words: list[str] = []
    out_counts: list[int] = []
    for word, count in zip(words, counts):
        if count <= limit:
            out_words.append(word)
            out_counts.append(count)
        else:
            chars = list(word)
            out_words.extend(chars)
            out_counts.extend(token_counts([c.strip() for c in chars]))
    return out_words, out_counts
