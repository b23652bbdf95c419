"""Build an index from markdown files: read, validate, chunk, embed (cached), write, publish."""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel

from indexer.answers import AnswerScorer
from indexer.cache import EmbeddingCache, text_hash
from indexer.calibration import calibrate, unrelated_problems
from indexer.chunk import Budget, chunk_section
from indexer.columns import DocumentColumns
from indexer.documents import Document, read_document, reading_minutes
from indexer.duplicates import DuplicatePair, Library, find_pairs, mean_vectors
from indexer.embed import Embedder
from indexer.engines import EmbeddingEngine, LocalEngine
from indexer.errors import RecommenderError, StrictModeError
from indexer.issues import FileIssue, Severity, printable
from indexer.keyword import KeywordConfig, KeywordIndex
from indexer.manifest import FORMAT_VERSION, Manifest
from indexer.sentences import piece_spans, pieces_of, split_sentences
from indexer.sources import DEFAULT_MAX_FILE_BYTES, SourceFile, discover
from indexer.store import (
    BuildContent,
    StoredDocument,
    StoredPiece,
    StoredSection,
    StoredSentence,
    joined_text,
    piece_sentence_index,
    previous_build,
    previous_hashes,
    publish,
    write_build,
)
from indexer.vectors import build_graphs
from indexer.vocabulary import Vocabulary

log = logging.getLogger(__name__)


class Progress(Protocol):
    """Where a long build reports how far it is; the CLI shows it, a library caller may ignore it."""

    def phase(self, name: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


class _Silent:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


class IssueReport(BaseModel):
    path: str
    line: int | None
    severity: str
    what: str
    fix: str

    @classmethod
    def of(cls, issue: FileIssue) -> IssueReport:
        return cls(path=issue.path, line=issue.line, severity=issue.severity.value, what=issue.what, fix=issue.fix)


class BuildSummary(BaseModel):
    """What one `recommender index` run did."""

    index: str
    build_id: str
    documents: int
    added: int
    updated: int
    removed: int
    unchanged: int
    skipped: int
    pieces: int
    pieces_embedded: int
    sentences: int = 0
    sentences_embedded: int = 0
    texts_embedded: int = 0  # everything this run embedded: pieces, sentences and the calibration's questions
    treated_as_internal: int
    seconds: float
    issues: list[IssueReport]


@dataclass(frozen=True)
class BuildOptions:
    index: Path
    batch_size: int = 32
    overlap_tokens: int = 48
    keep_builds: int = 2
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    strict: bool = False
    keyword: KeywordConfig = field(default_factory=KeywordConfig)
    title_in_pieces: bool = True
    sentences: bool = True  # embed each sentence for answer judging and quotes (off for pure retrieval tests)


def build_index(
    paths: Sequence[Path],
    *,
    options: BuildOptions,
    embedder: Embedder,
    vocabulary: Vocabulary,
    progress: Progress | None = None,
    engine: EmbeddingEngine | None = None,
) -> BuildSummary:
    """Index the markdown under `paths` and publish it at `options.index`, atomically.

    `engine` embeds the texts the cache does not hold (default: in this process; indexer/engines.py)."""
    started = time.perf_counter()
    sink = progress or _Silent()
    root = options.index
    root.mkdir(parents=True, exist_ok=True)
    with _build_lock(root):
        documents, issues = _read_all(paths, vocabulary, sink, max_bytes=options.max_file_bytes)
        if options.strict and issues:
            raise StrictModeError(
                f"{len(issues)} problem(s) in the input; nothing was published (--strict):{_listing(issues)}",
                hint="Fix the files listed above, or run without --strict to index the rest.",
            )
        content, texts, sentence_texts = _assemble(documents, issues, embedder, options)
        questions = (
            unrelated_problems()
        )  # asked of the library to calibrate its gaps; embedded (and cached) with the rest
        everything, missing = _embed_cached(
            [*texts, *sentence_texts, *questions], embedder, root, options.batch_size, sink, engine or LocalEngine()
        )
        vectors, sentence_vectors = everything[: len(texts)], everything[len(texts) : len(texts) + len(sentence_texts)]
        build_id = new_build_id()
        before = previous_hashes(root)
        manifest = _manifest(build_id, content, embedder, options, paths)
        build = write_embedded(
            root,
            build_id,
            content,
            texts,
            Embedded(vectors, sentence_vectors, everything[len(texts) + len(sentence_texts) :]),
            manifest=manifest,
            keyword=options.keyword,
            encoder=embedder.folder,
            sink=sink,
        )
        publish(root, build, keep=options.keep_builds)
    embedded = (
        len({text_hash(t) for t in texts} & missing),
        len({text_hash(t) for t in sentence_texts} & missing),
        len(missing),
    )
    return _summary(
        root,
        build_id,
        documents,
        before,
        issues,
        (len(texts), len(sentence_texts)),
        embedded,
        time.perf_counter() - started,
    )


def new_build_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


@dataclass(frozen=True)
class Embedded:
    """A build's vectors: pieces and sentences in row order, and the calibration's questions."""

    pieces: np.ndarray
    sentences: np.ndarray
    questions: np.ndarray


def write_embedded(
    root: Path,
    build_id: str,
    content: BuildContent,
    texts: Sequence[str],
    embedded: Embedded,
    *,
    manifest: dict,
    keyword: KeywordConfig,
    encoder: Path | None = None,
    sink: Progress | None = None,
) -> Path:
    """Everything a build does after embedding, up to a written (not yet published) build folder.

    Keyword index, vector graphs for a large library, document vectors, the near-duplicate pairs (incremental:
    pairs of documents unchanged since the published build are reused) and the gap calibration. `texts`: the
    pieces' texts as embedded; `manifest`: the build's manifest without files, counts of what this adds, and
    calibration. Real builds and the synthetic libraries of the scale benchmark both come through here.
    """
    sink = sink or _Silent()
    piece_doc = np.fromiter((p.doc for p in content.pieces), dtype=np.int64, count=len(content.pieces))
    if np.any(np.diff(piece_doc) < 0):
        raise ValueError("a document's pieces must be consecutive rows")
    sink.phase("keyword index", 1)
    keyword_index = KeywordIndex.build(texts, keyword)
    sink.advance(1)
    buyer = DocumentColumns.of(content.documents).buyer_facing  # the graph a buyer's request searches
    sink.phase("vector graphs", 1)
    graphs = build_graphs(embedded.pieces, buyer[piece_doc] if len(piece_doc) else np.zeros(0, dtype=bool))
    sink.advance(1)
    sink.phase("near-duplicates", 1)
    document_vectors = mean_vectors(piece_doc, embedded.pieces, len(content.documents))
    pairs = _duplicates(root, content, piece_doc, embedded.pieces, document_vectors, manifest)
    sink.advance(1)
    sink.phase("calibrating gaps", 1)
    scorer = AnswerScorer(
        keyword=keyword_index,
        piece_vectors=embedded.pieces,
        sentence_vectors=embedded.sentences,
        piece_sentences=piece_sentence_index(content.sentences, len(content.pieces)),
    )
    calibration = calibrate(scorer, unrelated_problems(), embedded.questions, pieces=len(content.pieces))
    sink.advance(1)
    sink.phase("writing index", 1)
    build = write_build(
        root,
        build_id,
        content,
        vectors=embedded.pieces,
        graphs=graphs,
        keyword=keyword_index,
        sentence_vectors=embedded.sentences,
        document_vectors=document_vectors,
        duplicates=pairs,
        manifest=manifest | {"vector_index": "hnsw" if graphs else "exact", "calibration": calibration.model_dump()},
        encoder=encoder,
    )
    sink.advance(1)
    return build


def _duplicates(
    root: Path,
    content: BuildContent,
    piece_doc: np.ndarray,
    matrix: np.ndarray,
    document_vectors: np.ndarray,
    manifest: dict,
) -> list[DuplicatePair]:
    """The near-duplicate pairs; only documents changed since the published build are screened, when it is
    comparable (same format, encoder and chunking)."""
    sections: dict[int, list[StoredSection]] = {}
    for section in content.sections:
        sections.setdefault(section.doc, []).append(section)
    library = Library(
        content.documents,
        piece_doc,
        matrix,
        lambda doc: joined_text(sections.get(doc, [])),
    )
    previous = previous_build(root)
    if previous is None or not _comparable(previous.manifest, manifest):
        return find_pairs(library, document_vectors)
    row = {d.meta.id: i for i, d in enumerate(content.documents)}
    unchanged = np.array(
        [previous.hashes.get(d.meta.id) == f"{d.content_hash} {d.rel_path}" for d in content.documents], dtype=bool
    )
    kept = [
        DuplicatePair(min(row[a], row[b]), max(row[a], row[b]), similarity, aligned)
        for a, b, similarity, aligned in previous.pairs
        if a in row and b in row
    ]
    return find_pairs(library, document_vectors, previous=kept, unchanged=unchanged)


def _comparable(previous: Manifest, manifest: dict) -> bool:
    return (
        previous.format_version == manifest["format_version"]
        and previous.encoder.model_dump() == manifest["encoder"]
        and previous.chunking == manifest["chunking"]
    )


@contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    with (root / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RecommenderError(
                f"another index build is running on {root}", hint="Wait for it to finish, then run again."
            ) from exc
        yield


def check_sources(paths: Sequence[Path]) -> None:
    """Refuse at once when `paths` hold no markdown file at all, before an encoder is loaded."""
    _discovered(paths)


def _discovered(paths: Sequence[Path]) -> tuple[list[SourceFile], list[FileIssue]]:
    files, issues = discover(paths)
    if not files and not issues:
        raise RecommenderError(
            f"no markdown (.md) files under {', '.join(map(str, paths))}",
            hint="Point 'recommender index' at the folder that holds your content.",
        )
    if not files:
        raise RecommenderError(
            f"no file could be indexed; the previous index (if any) is unchanged:{_listing(issues)}",
            hint="Fix the problems listed above.",
        )
    return files, issues


def _read_all(
    paths: Sequence[Path], vocabulary: Vocabulary, sink: Progress, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> tuple[list[Document], list[FileIssue]]:
    files, issues = _discovered(paths)
    sink.phase("reading", len(files))
    documents: list[Document] = []
    seen: dict[str, str] = {}
    for source in files:
        document, found = read_document(source, vocabulary, max_bytes=max_bytes)
        issues.extend(found)
        sink.advance(1)
        if document is None:
            continue
        if document.meta.id in seen:
            issues.append(
                FileIssue(
                    printable(source.rel_path),
                    f"duplicate id '{document.meta.id}' (also used by {seen[document.meta.id]}); this file was skipped",
                    "give one of the two files a unique 'id' in its front matter",
                    Severity.SKIPPED,
                )
            )
            continue
        seen[document.meta.id] = printable(source.rel_path)
        documents.append(document)
    if not documents:
        raise RecommenderError(
            f"no file could be indexed; the previous index (if any) is unchanged:{_listing(issues)}",
            hint="Fix the problems listed above.",
        )
    return documents, issues


def _listing(issues: Sequence[FileIssue]) -> str:
    """The problems, one per line, for an error that stops the build before any summary is shown."""
    return "".join(f"\n  {issue.render()}" for issue in issues)


def embedded_texts(
    paths: Sequence[Path], *, options: BuildOptions, embedder: Embedder, vocabulary: Vocabulary
) -> list[str]:
    """Every text a build of `paths` embeds, writing nothing: the pieces (heading prefix + text), the sentences
    and the calibration's questions."""
    documents, issues = _read_all(paths, vocabulary, _Silent(), max_bytes=options.max_file_bytes)
    _, pieces, sentences = _assemble(documents, issues, embedder, options)
    return [*pieces, *sentences, *unrelated_problems()]


def piece_texts(
    paths: Sequence[Path], *, options: BuildOptions, embedder: Embedder, vocabulary: Vocabulary
) -> list[str]:
    """The texts a build of `paths` embeds (heading prefix + piece text), in piece order; writes nothing."""
    documents, issues = _read_all(paths, vocabulary, _Silent(), max_bytes=options.max_file_bytes)
    return _assemble(documents, issues, embedder, options)[1]


def _assemble(
    documents: Sequence[Document], issues: Sequence[FileIssue], embedder: Embedder, options: BuildOptions
) -> tuple[BuildContent, list[str], list[str]]:
    """The build's content, the texts of its pieces and the texts of its sentences, in row order."""
    stored_docs: list[StoredDocument] = []
    sections: list[StoredSection] = []
    pieces: list[StoredPiece] = []
    texts: list[str] = []
    sentences: list[StoredSentence] = []
    sentence_texts: list[str] = []
    for d, document in enumerate(documents):
        stored_docs.append(
            StoredDocument(
                document.meta, document.rel_path, document.content_hash, document.word_count, document.reading_minutes
            )
        )
        for section in document.sections:
            words = len(section.text.split())
            sections.append(
                StoredSection(
                    d,
                    section.heading,
                    section.heading_path,
                    section.level,
                    section.line,
                    words,
                    reading_minutes(words),
                    section.text,
                )
            )
            prefix = _prefix(document, section.heading_path) if options.title_in_pieces else ""
            budget = Budget(
                tokens=max(
                    32,
                    embedder.max_tokens - 2 - sum(embedder.token_counts([prefix]))
                    if prefix
                    else embedder.max_tokens - 2,
                ),
                overlap=options.overlap_tokens,
            )
            first = len(pieces)
            chunks = chunk_section(section.text, token_counts=embedder.token_counts, budget=budget)
            for text in chunks:
                pieces.append(StoredPiece(d, len(sections) - 1, text))
                texts.append(f"{prefix}{text}")
            spans = piece_spans(section.text, chunks)
            for sentence in split_sentences(section.text) if options.sentences else ():
                held = pieces_of(sentence, spans) or [0]
                sentences.append(StoredSentence(len(sections) - 1, first + held[0], first + held[-1], sentence.text))
                sentence_texts.append(sentence.embed_text)
    return BuildContent(stored_docs, sections, pieces, list(issues), sentences), texts, sentence_texts


def _prefix(document: Document, heading_path: tuple[str, ...]) -> str:
    title = document.meta.title
    headings = [h for h in heading_path if h and h != title]
    return f"{title}\n{' > '.join(headings)}\n" if headings else f"{title}\n"


def _embed_cached(
    texts: Sequence[str], embedder: Embedder, root: Path, batch_size: int, sink: Progress, engine: EmbeddingEngine
) -> tuple[np.ndarray, set[str]]:
    """Vectors of `texts` in order, and the hashes of the texts that had to be embedded (not cached)."""
    cache = EmbeddingCache(
        root / "cache" / "embeddings.sqlite", model_id=embedder.encoder_id, dimension=embedder.dimension
    )
    try:
        hashes = [text_hash(t) for t in texts]
        known = cache.get_many(hashes)
        by_hash = {h: texts[i] for i, h in enumerate(hashes)}
        missing = sorted(
            dict.fromkeys(h for h in hashes if h not in known), key=lambda h: -len(by_hash[h])
        )  # chunks of like length pad little
        sink.phase("embedding", len(missing))
        chunks = [missing[start : start + batch_size * 8] for start in range(0, len(missing), batch_size * 8)]
        texts_of = [[by_hash[h] for h in chunk] for chunk in chunks]
        for chunk, vectors in zip(
            chunks, engine.embed_chunks(embedder, texts_of, batch_size=batch_size, progress=sink.advance), strict=True
        ):
            cache.put_many(chunk, vectors)
            known.update(zip(chunk, vectors, strict=True))
        matrix = (
            np.vstack([known[h] for h in hashes]).astype(np.float32)
            if hashes
            else np.zeros((0, embedder.dimension), np.float32)
        )
        return matrix, set(missing)
    finally:
        cache.close()


def _manifest(
    build_id: str,
    content: BuildContent,
    embedder: Embedder,
    options: BuildOptions,
    paths: Sequence[Path],
) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "build_id": build_id,
        "built_at": dt.datetime.now(dt.UTC).isoformat(),
        "model": {"id": embedder.model_id, "dimension": embedder.dimension, "max_tokens": embedder.max_tokens},
        "encoder": embedder.encoder_info.model_dump(),
        "counts": {
            "documents": len(content.documents),
            "sections": len(content.sections),
            "pieces": len(content.pieces),
            "buyer_documents": sum(d.meta.audience == "buyer" for d in content.documents),
        },
        "keyword": options.keyword.as_dict(),
        "chunking": {
            "overlap_tokens": options.overlap_tokens,
            "title_in_pieces": int(options.title_in_pieces),
            "sentences": int(options.sentences),
        },
        "sources": [str(p.resolve()) for p in paths],
    }


def _summary(
    root: Path,
    build_id: str,
    documents: Sequence[Document],
    before: dict[str, str],
    issues: Sequence[FileIssue],
    counts: tuple[int, int],
    embedded: tuple[int, int, int],
    seconds: float,
) -> BuildSummary:
    now = {d.meta.id: d.content_hash for d in documents}
    return BuildSummary(
        index=str(root),
        build_id=build_id,
        documents=len(documents),
        added=sum(1 for k in now if k not in before),
        updated=sum(1 for k, h in now.items() if k in before and before[k] != h),
        removed=sum(1 for k in before if k not in now),
        unchanged=sum(1 for k, h in now.items() if before.get(k) == h),
        skipped=sum(1 for i in issues if i.severity is Severity.SKIPPED),
        pieces=counts[0],
        pieces_embedded=embedded[0],
        sentences=counts[1],
        sentences_embedded=embedded[1],
        texts_embedded=embedded[2],
        treated_as_internal=sum(1 for d in documents if not d.meta.audience_given),
        seconds=round(seconds, 2),
        issues=[IssueReport.of(i) for i in issues],
    )
