"""Turn each markdown file into a Document, reporting files that cannot be read (finding them: indexer.sources)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from indexer.issues import FileIssue, Severity, printable
from indexer.metadata import ContentMeta, build_metadata
from indexer.parse import Section, drop_empty_sections, parse_markdown
from indexer.sources import DEFAULT_MAX_FILE_BYTES, SourceFile, discover, read_source
from indexer.vocabulary import Vocabulary

WORDS_PER_MINUTE = 230


@dataclass(frozen=True)
class Document:
    """One content item: metadata, sections and what it costs to read."""

    meta: ContentMeta
    rel_path: str
    sections: tuple[Section, ...]
    content_hash: str
    word_count: int

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)


def reading_minutes(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def read_document(
    source: SourceFile, vocabulary: Vocabulary, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> tuple[Document | None, list[FileIssue]]:
    """Read, parse and validate one file; None when the file cannot be indexed at all."""
    text, problem = _read_text(source, max_bytes)
    if problem is not None:
        return None, [problem]
    assert text is not None
    shown = printable(source.rel_path)
    parsed = parse_markdown(text, path=shown)
    sections = drop_empty_sections(parsed.sections)
    issues = list(parsed.issues)
    if not sections:
        return None, issues + [
            FileIssue(shown, "file has no text to index", "add content or remove the file", Severity.SKIPPED)
        ]
    meta, meta_issues = build_metadata(parsed, rel_path=source.rel_path, source=text, vocabulary=vocabulary)
    words = sum(len(s.text.split()) for s in sections)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(
        meta=meta, rel_path=source.rel_path, sections=sections, content_hash=digest, word_count=words
    ), issues + meta_issues


def _read_text(source: SourceFile, max_bytes: int) -> tuple[str | None, FileIssue | None]:
    data, problem = read_source(source, max_bytes=max_bytes)
    if data is None:
        return None, problem
    shown = printable(source.rel_path)
    if b"\x00" in data[:8192]:
        return None, FileIssue(
            shown, "binary file, not markdown text", "remove it or give it another extension", Severity.SKIPPED
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, FileIssue(
            shown,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "re-save the file as UTF-8",
            Severity.SKIPPED,
            line=line,
        )
    if not text.strip():
        return None, FileIssue(shown, "empty file", "add content or remove the file", Severity.SKIPPED)
    return text, None


__all__ = ["Document", "SourceFile", "discover", "read_document", "reading_minutes"]
