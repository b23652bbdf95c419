"""Find markdown files and turn each into a Document, reporting files that cannot be read."""

from __future__ import annotations

import fnmatch
import hashlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.issues import FileIssue, Severity
from indexer.metadata import ContentMeta, build_metadata
from indexer.parse import Section, drop_empty_sections, parse_markdown
from indexer.vocabulary import Vocabulary

WORDS_PER_MINUTE = 230


@dataclass(frozen=True)
class SourceFile:
    path: Path
    rel_path: str  # relative to the root it was found under, with forward slashes


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


def discover(paths: Sequence[Path]) -> tuple[list[SourceFile], list[FileIssue]]:
    """Every .md file under `paths` (recursively), in a stable order."""
    found: list[SourceFile] = []
    issues: list[FileIssue] = []
    for root in paths:
        if not root.exists():
            issues.append(
                FileIssue(
                    str(root), "path does not exist", "check the path you gave to 'recommender index'", Severity.SKIPPED
                )
            )
        elif root.is_file():
            found.append(SourceFile(root, root.name))
        else:
            found.extend(_walk(root, issues))
    return sorted(found, key=lambda f: (f.rel_path, str(f.path))), issues


IGNORE_FILE = ".recommenderignore"


def _ignored_patterns(root: Path) -> list[str]:
    """Glob patterns from `<root>/.recommenderignore` (one per line, # comments): files not to index."""
    path = root / IGNORE_FILE
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _is_ignored(rel_path: str, patterns: list[str]) -> bool:
    name = rel_path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel_path, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def _walk(root: Path, issues: list[FileIssue]) -> Iterator[SourceFile]:
    def on_error(exc: OSError) -> None:
        issues.append(
            FileIssue(
                str(exc.filename or root),
                f"cannot read folder ({exc.strerror})",
                "check its permissions",
                Severity.SKIPPED,
            )
        )

    ignored = _ignored_patterns(root)
    for folder, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.lower().endswith(".md") and not name.startswith("."):
                path = Path(folder) / name
                rel_path = path.relative_to(root).as_posix()
                if not _is_ignored(rel_path, ignored):
                    yield SourceFile(path, rel_path)


def read_document(source: SourceFile, vocabulary: Vocabulary) -> tuple[Document | None, list[FileIssue]]:
    """Read, parse and validate one file; None when the file cannot be indexed at all."""
    text, problem = _read_text(source)
    if problem is not None:
        return None, [problem]
    assert text is not None
    parsed = parse_markdown(text, path=source.rel_path)
    sections = drop_empty_sections(parsed.sections)
    issues = list(parsed.issues)
    if not sections:
        return None, issues + [
            FileIssue(source.rel_path, "file has no text to index", "add content or remove the file", Severity.SKIPPED)
        ]
    meta, meta_issues = build_metadata(parsed, rel_path=source.rel_path, source=text, vocabulary=vocabulary)
    words = sum(len(s.text.split()) for s in sections)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(
        meta=meta, rel_path=source.rel_path, sections=sections, content_hash=digest, word_count=words
    ), issues + meta_issues


def _read_text(source: SourceFile) -> tuple[str | None, FileIssue | None]:
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return None, FileIssue(
            source.rel_path,
            f"cannot read file ({exc.strerror})",
            "check that it exists and is readable",
            Severity.SKIPPED,
        )
    if b"\x00" in data[:8192]:
        return None, FileIssue(
            source.rel_path,
            "binary file, not markdown text",
            "remove it or give it another extension",
            Severity.SKIPPED,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, FileIssue(
            source.rel_path,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "re-save the file as UTF-8",
            Severity.SKIPPED,
            line=line,
        )
    if not text.strip():
        return None, FileIssue(source.rel_path, "empty file", "add content or remove the file", Severity.SKIPPED)
    return text, None
