"""indexer.chunk: section text -> overlapping pieces that the model reads whole."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from indexer.build import BuildOptions, piece_texts
from indexer.chunk import Budget, chunk_section, split_words
from indexer.embed import Embedder
from indexer.vocabulary import Vocabulary


def four_chars_a_token(texts: Sequence[str]) -> list[int]:
    """A small, predictable stand-in for a subword tokenizer: one token per 4 characters."""
    return [-(-len(t) // 4) for t in texts]


def one_token_a_word(texts: Sequence[str]) -> list[int]:
    return [1 if t else 0 for t in texts]


def numbered_words(n: int) -> list[str]:
    stems = ["ledger", "close", "variance", "accrual", "reconciliation", "entity", "audit", "journal"]
    return [f"{stems[i % len(stems)]}{i}" for i in range(n)]


def spans(text: str, pieces: Sequence[str]) -> list[tuple[int, int]]:
    """Where each piece sits in `text`, searching forward; fails if a piece is not a slice of it."""
    out: list[tuple[int, int]] = []
    start = 0
    for piece in pieces:
        at = text.find(piece, start)
        assert at >= 0, f"piece is not a slice of the section text: {piece[:60]!r}"
        out.append((at, at + len(piece)))
        start = at + 1
    return out


def assert_covers_with_overlap(text: str, pieces: Sequence[str]) -> None:
    """Pieces are slices of `text` (up to whitespace), in order, overlapping, from its start to its end."""
    body = " ".join(text.split())
    where = spans(body, [" ".join(p.split()) for p in pieces])
    assert where[0][0] == 0
    assert where[-1][1] == len(body)
    for (start, end), (next_start, next_end) in itertools.pairwise(where):
        assert start < next_start < end, "consecutive pieces must overlap and move forward"
        assert next_end > end


# ---- unit: a fake token counter ----------------------------------------------------------


def test_short_text_is_one_piece() -> None:
    text = "  A short section\nwith two lines.  "
    assert chunk_section(text, token_counts=four_chars_a_token, budget=Budget(tokens=100, overlap=10)) == [
        "A short section\nwith two lines."
    ]


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_blank_text_has_no_pieces(text: str) -> None:
    assert chunk_section(text, token_counts=four_chars_a_token, budget=Budget(tokens=10, overlap=2)) == []


def test_split_words_keeps_whitespace_so_pieces_keep_line_breaks() -> None:
    words = split_words("one two\nthree  four")
    assert words == ["one ", "two\n", "three  ", "four"]
    assert "".join(words) == "one two\nthree  four"


def test_windows_fit_the_budget_and_repeat_the_overlap() -> None:
    words = numbered_words(100)
    text = " ".join(words)
    pieces = chunk_section(text, token_counts=one_token_a_word, budget=Budget(tokens=10, overlap=3))
    windows = [p.split() for p in pieces]
    assert all(len(w) <= 10 for w in windows)
    assert windows[0] == words[:10]
    for previous, current in itertools.pairwise(windows):
        assert previous[-3:] == current[:3]
    assert windows[-1][-1] == words[-1]
    assert_covers_with_overlap(text, pieces)


def test_token_costs_not_word_counts_decide_the_window() -> None:
    text = "a " * 20 + "x" * 40 + " b" * 20  # the long word costs 10 tokens, the short ones 1
    pieces = chunk_section(text, token_counts=four_chars_a_token, budget=Budget(tokens=12, overlap=2))
    assert all(sum(four_chars_a_token([w.strip() for w in split_words(p)])) <= 12 for p in pieces)
    assert any("x" * 40 in p for p in pieces)  # a word that fits is never cut


def test_zero_overlap_partitions_the_words() -> None:
    words = numbered_words(37)
    pieces = chunk_section(" ".join(words), token_counts=one_token_a_word, budget=Budget(tokens=5, overlap=0))
    assert [w for p in pieces for w in p.split()] == words


def test_overlap_as_large_as_the_budget_still_moves_forward() -> None:
    words = numbered_words(30)
    pieces = chunk_section(" ".join(words), token_counts=one_token_a_word, budget=Budget(tokens=4, overlap=4))
    assert len(pieces) < 30
    assert pieces[-1].split()[-1] == words[-1]
    assert_covers_with_overlap(" ".join(words), pieces)


def test_a_word_longer_than_a_whole_piece_is_cut_not_overflowed() -> None:
    blob = "".join(hashlib.sha256(bytes([i])).hexdigest() for i in range(4))[:200]  # 50 fake tokens; the budget is 16
    text = f"before {blob} after"
    pieces = chunk_section(text, token_counts=four_chars_a_token, budget=Budget(tokens=16, overlap=2))
    assert all(sum(four_chars_a_token(p.split())) <= 16 for p in pieces)
    assert_covers_with_overlap(text, pieces)


# ---- the real model's tokenizer ----------------------------------------------------------


def section_of(n_words: int) -> str:
    words = numbered_words(n_words)
    lines = [" ".join(words[i : i + 12]) + ("." if i % 36 else ",") for i in range(0, n_words, 12)]
    return "\n".join(lines)


def embedded_texts(tmp_path: Path, embedder: Embedder, body: str) -> tuple[str, list[str]]:
    """What a build embeds for a one-section file, and the prefix it puts before each piece."""
    (tmp_path / "long.md").write_text(f"---\ntitle: Chunk test\n---\n# Long section\n\n{body}\n", encoding="utf-8")
    texts = piece_texts(
        [tmp_path], options=BuildOptions(index=tmp_path / "index"), embedder=embedder, vocabulary=Vocabulary()
    )
    return "Chunk test\nLong section\n", texts


def test_every_embedded_piece_of_a_3000_word_section_fits_the_model(tmp_path: Path, embedder: Embedder) -> None:
    body = section_of(3000)
    prefix, texts = embedded_texts(tmp_path, embedder, body)
    assert len(texts) > 10
    assert all(t.startswith(prefix) for t in texts)
    counts = embedder.token_counts(texts)
    assert max(counts) <= embedder.max_tokens - 2
    assert all(c > (embedder.max_tokens - 2) // 2 for c in counts[:-1])  # windows are filled, not tiny
    pieces = [t[len(prefix) :] for t in texts]
    assert_covers_with_overlap(body, pieces)
    covered = {w for p in pieces for w in p.replace(",", " ").replace(".", " ").split()}
    assert covered == set(numbered_words(3000))


def test_consecutive_pieces_share_about_the_overlap_budget(tmp_path: Path, embedder: Embedder) -> None:
    body = section_of(1200)
    budget = Budget(tokens=120, overlap=30)
    pieces = chunk_section(body, token_counts=embedder.token_counts, budget=budget)
    for previous, current in itertools.pairwise(pieces):
        shared = [w for w in current.split() if w in set(previous.split())]
        assert shared, "no overlap between consecutive pieces"
        assert 0 < sum(embedder.token_counts([" ".join(shared)])) <= budget.overlap
    assert all(c <= budget.tokens for c in embedder.token_counts(pieces))


def test_text_without_spaces_is_cut_to_fit_the_model(tmp_path: Path, embedder: Embedder) -> None:
    blob = json.dumps({f"field_{i}": [i, i * 2, f"v{i}"] for i in range(150)}, separators=(",", ":"))
    assert " " not in blob and embedder.token_counts([blob])[0] > embedder.max_tokens
    body = f"The export looks like this:\n{blob}\nand nothing else."
    prefix, texts = embedded_texts(tmp_path, embedder, body)
    assert max(embedder.token_counts(texts)) <= embedder.max_tokens - 2
    assert_covers_with_overlap(body, [t[len(prefix) :] for t in texts])
