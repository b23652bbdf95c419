"""The index on disk: a folder of plain files with a manifest, published atomically.

    <root>/current -> builds/<build-id>     symlink, switched with one rename
    <root>/builds/<build-id>/manifest.json  format, model, encoder, counts, build time, sha256 of each file
                            manifest.sha256 sha256 of manifest.json, so every file of a build is checked
                            content.sqlite  documents, sections, pieces, sentences, build issues and the
                                            near-duplicate pairs found while building
                            vectors.npy     one float32 vector per piece (row = piece index), memory-mapped
                            ann-*.faiss     or, for a large library, HNSW graphs holding them (indexer/vectors.py)
                            documents.npy   one vector per document (the normalised mean of its pieces')
                            links.npz       the integer links between rows (piece -> document, section; ...)
                            keyword/        bm25s index over the same pieces
                            sentences.npy   one vector per sentence (float16; row = sentence row)
                            encoder/        the ONNX encoder that made the vectors (onnx builds), which answers queries
    <root>/cache/embeddings.sqlite          embeddings by encoder and text hash
    <root>/cache/encoders/<fingerprint>/    ONNX exports, made once and reused by the next build

Loading reads the documents' metadata and a few integer columns; vectors are memory-mapped and
the text of pieces, sections and sentences is read from SQLite when a row is asked for, so a
library of a million pieces loads in seconds and holds little in memory (docs/benchmarks.md).

A build is written to `builds/<id>.partial`, renamed to `builds/<id>` and then `current` is
switched to it with `os.replace`, which is atomic: a crash at any moment leaves the previous
build whole, published and loadable.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar, overload

import numpy as np

from indexer.columns import DocumentColumns
from indexer.errors import IndexCorruptError, IndexMissingError, ModelMismatchError, RecommenderError
from indexer.issues import FileIssue, Severity
from indexer.keyword import KeywordConfig, KeywordIndex
from indexer.manifest import (
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_CHECKSUM,
    EncoderInfo,
    Manifest,
    checksums,
    manifest_checksum_line,
    manifest_checksum_matches,
    sha256_file,
)
from indexer.metadata import ContentMeta
from indexer.vectors import FileRows, VectorStore, load_vectors, mapped, save_vectors

if TYPE_CHECKING:
    import faiss

    from indexer.duplicates import DuplicatePair

CURRENT = "current"
BUILDS = "builds"
CONTENT = "content.sqlite"
KEYWORD = "keyword"
DOCUMENT_VECTORS = "documents.npy"
LINKS = "links.npz"  # each piece's document and section, each section's document, each sentence's pieces
SENTENCE_VECTORS = "sentences.npy"
ENCODER = "encoder"
REBUILD_HINT = "Rebuild it with 'recommender index PATH --index {root}'."


@dataclass(frozen=True)
class StoredDocument:
    meta: ContentMeta
    rel_path: str
    content_hash: str
    word_count: int
    reading_minutes: int


@dataclass(frozen=True)
class StoredSection:
    doc: int
    heading: str
    heading_path: tuple[str, ...]
    level: int
    line: int
    word_count: int
    reading_minutes: int
    text: str


@dataclass(frozen=True)
class StoredPiece:
    doc: int
    section: int
    text: str


@dataclass(frozen=True)
class StoredSentence:
    section: int
    first_piece: int  # the pieces (consecutive rows) that hold part of it
    last_piece: int
    text: str  # as quoted; a table row carries its header row


@dataclass(frozen=True)
class BuildContent:
    """Everything a build writes, in row order: piece i is vector i and keyword document i."""

    documents: Sequence[StoredDocument]
    sections: Sequence[StoredSection]
    pieces: Sequence[StoredPiece]
    issues: Sequence[FileIssue]
    sentences: Sequence[StoredSentence] = ()


T = TypeVar("T")


class Rows(Sequence[T], Generic[T]):
    """One table of a build's content.sqlite, read a row at a time when asked (one connection per thread)."""

    def __init__(self, path: Path, query: str, make: Callable[..., T], count: int) -> None:
        self._path, self._query, self._make, self._count = path, query, make, count
        self._local = threading.local()

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        row = int(index) + self._count if index < 0 else int(index)
        if not 0 <= row < self._count:
            raise IndexError(index)
        found = self._db().execute(f"{self._query} WHERE row = ?", (row,)).fetchone()
        return self._make(*found)

    def __iter__(self) -> Iterator[T]:
        for found in self._db().execute(f"{self._query} ORDER BY row"):
            yield self._make(*found)

    def many(self, rows: Iterable[int]) -> list[T]:
        """The given rows, in the order given."""
        wanted = [int(r) for r in rows]
        found: dict[int, T] = {}
        for start in range(0, len(wanted), 500):
            chunk = sorted(set(wanted[start : start + 500]))
            marks = ",".join("?" * len(chunk))
            query = self._query.replace("SELECT ", "SELECT row, ", 1)
            for row, *rest in self._db().execute(f"{query} WHERE row IN ({marks})", chunk):
                found[row] = self._make(*rest)
        return [found[r] for r in wanted]

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self._path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            self._local.db = db
        return db


def _section(
    doc: int, heading: str, hp: str, level: int, line: int, words: int, minutes: int, text: str
) -> StoredSection:
    return StoredSection(doc, heading, tuple(json.loads(hp)), level, line, words, minutes, text)


def joined_text(sections: Iterable[StoredSection]) -> str:
    """Sections' headings and text as one string (what the near-duplicate rule counts words in)."""
    return " ".join(f"{s.heading} {s.text}" for s in sections)


@dataclass
class IndexSnapshot:
    """A loaded, verified build: read-only and safe to share between threads.

    Documents' metadata is in memory (and as columns, `columns`); pieces, sections and sentences are `Rows`
    read from SQLite when asked for, with their integer links (`piece_doc`, `piece_section`, `section_doc`,
    `piece_sentences`) as arrays; vectors are memory-mapped.
    """

    path: Path
    manifest: Manifest
    documents: tuple[StoredDocument, ...]
    sections: Rows[StoredSection]
    pieces: Rows[StoredPiece]
    piece_doc: np.ndarray
    piece_section: np.ndarray
    section_doc: np.ndarray
    vectors: VectorStore
    keyword: KeywordIndex
    issues: tuple[FileIssue, ...]
    sentences: Rows[StoredSentence]
    sentence_vectors: FileRows  # float16, one row per sentence, read from the file when asked
    piece_sentences: tuple[np.ndarray, np.ndarray]  # CSR: sentence rows of piece i are indices[indptr[i]:indptr[i + 1]]
    document_vectors: np.ndarray  # float32, one row per document: the normalised mean of its pieces' vectors
    duplicate_pairs: tuple[DuplicatePair, ...]

    @property
    def matrix(self) -> np.ndarray:
        """Every piece vector (float32, memory-mapped), row = piece."""
        return self.vectors.matrix

    def sentences_of(self, piece: int) -> np.ndarray:
        indptr, indices = self.piece_sentences
        return indices[indptr[piece] : indptr[piece + 1]]

    def document_index(self, doc_id: str) -> int | None:
        return self._by_id.get(doc_id)

    def section_rows(self, doc: int) -> range:
        """The rows of a document's sections (a document's sections are consecutive rows)."""
        start, end = np.searchsorted(self.section_doc, [doc, doc + 1])
        return range(int(start), int(end))

    def document_text(self, doc: int) -> str:
        """A document's headings and text, section by section."""
        return joined_text(self.sections.many(self.section_rows(doc)))

    @property
    def columns(self) -> DocumentColumns:
        return self._columns

    def __post_init__(self) -> None:
        self._by_id = {d.meta.id: i for i, d in enumerate(self.documents)}
        self._columns = DocumentColumns.of(self.documents)


# ---- writing -------------------------------------------------------------------------------


def write_content(folder: Path, content: BuildContent, duplicates: Sequence[DuplicatePair] = ()) -> None:
    db = sqlite3.connect(folder / CONTENT)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")  # the whole folder is fsynced before it is published
    with db:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (i, d.meta.id, d.rel_path, d.content_hash, d.word_count, d.reading_minutes, d.meta.model_dump_json())
                for i, d in enumerate(content.documents)
            ],
        )
        db.executemany(
            "INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    i,
                    s.doc,
                    s.heading,
                    json.dumps(s.heading_path),
                    s.level,
                    s.line,
                    s.word_count,
                    s.reading_minutes,
                    s.text,
                )
                for i, s in enumerate(content.sections)
            ],
        )
        db.executemany(
            "INSERT INTO pieces VALUES (?, ?, ?, ?)",
            [(i, p.doc, p.section, p.text) for i, p in enumerate(content.pieces)],
        )
        db.executemany(
            "INSERT INTO issues VALUES (?, ?, ?, ?, ?)",
            [(x.path, x.line, x.severity.value, x.what, x.fix) for x in content.issues],
        )
        db.executemany(
            "INSERT INTO sentences VALUES (?, ?, ?, ?, ?)",
            [(i, s.section, s.first_piece, s.last_piece, s.text) for i, s in enumerate(content.sentences)],
        )
        db.executemany(
            "INSERT INTO duplicates VALUES (?, ?, ?, ?)",
            [(p.first, p.second, p.similarity, p.alignment) for p in duplicates],
        )
    db.close()


_SCHEMA = """
CREATE TABLE documents (row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, rel_path TEXT NOT NULL,
    content_hash TEXT NOT NULL, word_count INTEGER NOT NULL, reading_minutes INTEGER NOT NULL, meta TEXT NOT NULL);
CREATE TABLE sections (row INTEGER PRIMARY KEY, doc INTEGER NOT NULL, heading TEXT NOT NULL, heading_path TEXT NOT NULL,
    level INTEGER NOT NULL, line INTEGER NOT NULL, word_count INTEGER NOT NULL, reading_minutes INTEGER NOT NULL,
    text TEXT NOT NULL);
CREATE TABLE pieces (row INTEGER PRIMARY KEY, doc INTEGER NOT NULL, section INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TABLE issues (path TEXT NOT NULL, line INTEGER, severity TEXT NOT NULL, what TEXT NOT NULL, fix TEXT NOT NULL);
CREATE TABLE sentences (row INTEGER PRIMARY KEY, section INTEGER NOT NULL, first_piece INTEGER NOT NULL,
    last_piece INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TABLE duplicates (first INTEGER NOT NULL, second INTEGER NOT NULL, similarity REAL NOT NULL,
    alignment REAL NOT NULL, PRIMARY KEY (first, second));
"""


def write_build(
    root: Path,
    build_id: str,
    content: BuildContent,
    *,
    vectors: np.ndarray,
    graphs: dict[str, tuple[faiss.Index, np.ndarray | None]],
    keyword: KeywordIndex,
    sentence_vectors: np.ndarray,
    document_vectors: np.ndarray,
    duplicates: Sequence[DuplicatePair],
    manifest: dict,
    encoder: Path | None = None,
) -> Path:
    """Write a complete build aside (`builds/<id>.partial`), then rename it into place.

    `graphs`: the HNSW graphs of a large library (indexer/vectors.py); `encoder`: a folder of encoder files the
    build carries (copied, or hard-linked when it can be).
    """
    partial = root / BUILDS / f"{build_id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    write_content(partial, content, duplicates)
    save_vectors(partial, vectors, graphs)
    np.save(partial / DOCUMENT_VECTORS, np.asarray(document_vectors, dtype=np.float32), allow_pickle=False)
    _save_links(partial / LINKS, content)
    keyword.save(partial / KEYWORD)
    np.save(partial / SENTENCE_VECTORS, np.asarray(sentence_vectors, dtype=np.float16), allow_pickle=False)
    if encoder is not None:
        shutil.copytree(encoder, partial / ENCODER, copy_function=_link_or_copy)
    manifest = {**manifest, "files": checksums(partial)}
    Manifest.model_validate(manifest)
    manifest_bytes = json.dumps(manifest, indent=2, default=str).encode("utf-8")
    (partial / MANIFEST).write_bytes(manifest_bytes)
    (partial / MANIFEST_CHECKSUM).write_text(manifest_checksum_line(manifest_bytes), encoding="utf-8")
    _fsync_tree(partial)
    final = root / BUILDS / build_id
    os.rename(partial, final)
    _fsync_dir(final.parent)
    return final


def _link_or_copy(source: str, target: str) -> None:
    """A hard link shares the cached export's blocks (it is never written again); a copy where links cannot be made."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def publish(root: Path, build: Path, *, keep: int = 2) -> None:
    """Point `current` at `build` atomically, then remove all but the newest `keep` builds."""
    link = root / CURRENT
    staging = root / f"{CURRENT}.next"
    if staging.is_symlink() or staging.exists():
        staging.unlink()
    staging.symlink_to(Path(BUILDS) / build.name)
    os.replace(staging, link)
    _fsync_dir(root)
    _prune(root, keep=keep, protect=build.name)


def _prune(root: Path, *, keep: int, protect: str) -> None:
    builds = sorted((p for p in (root / BUILDS).iterdir() if p.is_dir()), key=lambda p: p.name)
    finished = [p for p in builds if not p.name.endswith(".partial")]
    stale = [p for p in builds if p.name.endswith(".partial")] + finished[:-keep]
    for path in stale:
        if path.name != protect:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- reading -------------------------------------------------------------------------------


def current_build(root: Path) -> Path:
    """The published build folder under `root`, or IndexMissingError."""
    link = root / CURRENT
    if not link.exists():
        raise IndexMissingError(
            f"no index at {root}",
            hint="Build one with 'recommender index PATH' (or point --index / RECOMMENDER_INDEX at an existing one).",
        )
    return link.resolve()


def read_manifest(build: Path, root: Path) -> Manifest:
    """The build's manifest, refused when it is unreadable, of another format, or does not match its checksum."""
    hint = REBUILD_HINT.format(root=root)
    try:
        data = (build / MANIFEST).read_bytes()
        manifest = Manifest.model_validate_json(data)
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"the index at {root} has a missing or unreadable manifest ({exc.__class__.__name__})", hint=hint
        ) from exc
    _check_format(manifest, root)
    try:
        recorded = (build / MANIFEST_CHECKSUM).read_text(encoding="utf-8")
    except (OSError, ValueError):
        recorded = ""
    if not manifest_checksum_matches(data, recorded):
        raise IndexCorruptError(
            f"the index at {root} is damaged: {MANIFEST} does not match its checksum in {MANIFEST_CHECKSUM} "
            f"(build {build.name})",
            hint=hint,
        )
    return manifest


def _check_format(manifest: Manifest, root: Path) -> None:
    if manifest.format_version != FORMAT_VERSION:
        raise IndexCorruptError(
            f"the index at {root} has format version {manifest.format_version}; this version reads {FORMAT_VERSION}",
            hint=REBUILD_HINT.format(root=root),
        )


def verify(
    build: Path, manifest: Manifest, root: Path, *, model_id: str | None, encoder: EncoderInfo | None = None
) -> None:
    """Refuse another format, another model or encoder, or any file whose checksum differs."""
    hint = REBUILD_HINT.format(root=root)
    _check_format(manifest, root)
    if model_id is not None and manifest.model.id != model_id:
        raise ModelMismatchError(
            f"the index at {root} was built with model '{manifest.model.id}', but the configured model is '{model_id}'",
            hint=hint + " Or configure the model it was built with.",
        )
    if encoder is not None and manifest.encoder.differs_from(encoder):
        raise ModelMismatchError(
            f"the index at {root} was built with the {manifest.encoder.describe()}, "
            f"but the query encoder is the {encoder.describe()}",
            hint=hint + " Or answer with the encoder it was built with"
            " (leave RECOMMENDER_RUNTIME and RECOMMENDER_PRECISION unset to follow the index).",
        )
    names = list(manifest.files)
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:  # hashlib releases the GIL
        found = dict(zip(names, pool.map(lambda name: _digest(build / name), names)))
    for name, expected in manifest.files.items():
        if found[name] != expected:
            raise IndexCorruptError(
                f"the index at {root} is damaged: {name} is missing or does not match its checksum "
                f"(build {build.name})",
                hint=hint,
            )


def _digest(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


def load_index(root: Path, *, model_id: str | None, encoder: EncoderInfo | None = None) -> IndexSnapshot:
    """Load and verify the published build under `root`."""
    build = current_build(root)
    manifest = read_manifest(build, root)
    verify(build, manifest, root, model_id=model_id, encoder=encoder)
    try:
        return _load_verified(build, manifest)
    except Exception as exc:  # a checksum-valid file that still fails to load is damage too
        raise IndexCorruptError(
            f"the index at {root} cannot be loaded ({exc})", hint=REBUILD_HINT.format(root=root)
        ) from exc


def _load_verified(build: Path, manifest: Manifest) -> IndexSnapshot:
    from indexer.duplicates import DuplicatePair

    path = build / CONTENT
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        documents = tuple(
            StoredDocument(ContentMeta.model_validate_json(meta), rel, digest, words, minutes)
            for rel, digest, words, minutes, meta in db.execute(
                "SELECT rel_path, content_hash, word_count, reading_minutes, meta FROM documents ORDER BY row"
            )
        )
        issues = tuple(_issue(row) for row in db.execute("SELECT path, line, severity, what, fix FROM issues"))
        pairs = tuple(
            DuplicatePair(*row)
            for row in db.execute("SELECT first, second, similarity, alignment FROM duplicates ORDER BY first, second")
        )
    finally:
        db.close()
    with np.load(build / LINKS, allow_pickle=False) as links:
        piece_doc, piece_section, section_doc = links["piece_doc"], links["piece_section"], links["section_doc"]
        first, last = links["sentence_first"], links["sentence_last"]
    if len(piece_doc) != manifest.counts.pieces or len(section_doc) != manifest.counts.sections:
        raise ValueError(f"{LINKS} does not match the manifest's counts")
    keyword = KeywordIndex.load(build / KEYWORD, KeywordConfig(**manifest.keyword))
    sentence_vectors = FileRows(build / SENTENCE_VECTORS)
    if len(sentence_vectors) != len(first):
        raise ValueError(f"{len(first)} sentences but {len(sentence_vectors)} sentence vectors")
    document_vectors = mapped(build / DOCUMENT_VECTORS)
    if len(document_vectors) != len(documents):
        raise ValueError(f"{len(documents)} documents but {len(document_vectors)} document vectors")
    return IndexSnapshot(
        path=build,
        manifest=manifest,
        documents=documents,
        sections=Rows(
            path,
            "SELECT doc, heading, heading_path, level, line, word_count, reading_minutes, text FROM sections",
            _section,
            len(section_doc),
        ),
        pieces=Rows(path, "SELECT doc, section, text FROM pieces", StoredPiece, len(piece_doc)),
        piece_doc=piece_doc,
        piece_section=piece_section,
        section_doc=section_doc,
        vectors=load_vectors(build, len(piece_doc)),
        keyword=keyword,
        issues=issues,
        sentences=Rows(
            path, "SELECT section, first_piece, last_piece, text FROM sentences", StoredSentence, len(first)
        ),
        sentence_vectors=sentence_vectors,
        piece_sentences=sentence_spans(first, last, len(piece_doc)),
        document_vectors=document_vectors,
        duplicate_pairs=pairs,
    )


def _save_links(path: Path, content: BuildContent) -> None:
    def column(rows: Sequence, attribute: str) -> np.ndarray:
        return np.fromiter((getattr(r, attribute) for r in rows), dtype=np.int64, count=len(rows))

    np.savez(
        path,
        piece_doc=column(content.pieces, "doc"),
        piece_section=column(content.pieces, "section"),
        section_doc=column(content.sections, "doc"),
        sentence_first=column(content.sentences, "first_piece"),
        sentence_last=column(content.sentences, "last_piece"),
    )


def piece_sentence_index(sentences: Sequence[StoredSentence], pieces: int) -> tuple[np.ndarray, np.ndarray]:
    """For every piece, the rows of the sentences it holds (part of), as CSR arrays."""
    first = np.fromiter((s.first_piece for s in sentences), dtype=np.int64, count=len(sentences))
    last = np.fromiter((s.last_piece for s in sentences), dtype=np.int64, count=len(sentences))
    return sentence_spans(first, last, pieces)


def sentence_spans(first: np.ndarray, last: np.ndarray, pieces: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays from each sentence's first and last piece: for every piece, its sentences' rows, in order."""
    lengths = last - first + 1
    owners = np.repeat(np.arange(len(first), dtype=np.int64), lengths)
    offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    held = np.repeat(first, lengths) + offsets
    order = np.lexsort((owners, held))
    counts = np.bincount(held, minlength=pieces) if len(held) else np.zeros(pieces, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return indptr, owners[order]


def _issue(row: Iterable) -> FileIssue:
    path, line, severity, what, fix = row
    return FileIssue(path=path, what=what, fix=fix, severity=Severity(severity), line=line)


def previous_hashes(root: Path) -> dict[str, str]:
    """content hash by document id in the published build; empty when there is none or it is unreadable."""
    try:
        build = current_build(root)
        db = sqlite3.connect(f"file:{build / CONTENT}?mode=ro", uri=True)
        try:
            return dict(db.execute("SELECT id, content_hash FROM documents"))
        finally:
            db.close()
    except (IndexMissingError, sqlite3.Error, OSError):
        return {}


@dataclass(frozen=True)
class PreviousBuild:
    """What an incremental build reuses of the published one: per document id its content hash and path, and its
    near-duplicate pairs."""

    manifest: Manifest
    hashes: dict[str, str]  # "content-hash rel-path" by id
    pairs: tuple[tuple[str, str, float, float], ...]  # (first id, second id, similarity, alignment)


def previous_build(root: Path) -> PreviousBuild | None:
    """The published build's hashes and near-duplicate pairs; None when there is none or it cannot be read."""
    try:
        build = current_build(root)
        manifest = read_manifest(build, root)
        db = sqlite3.connect(f"file:{build / CONTENT}?mode=ro", uri=True)
        try:
            ids = dict(db.execute("SELECT row, id FROM documents"))
            hashes = {i: f"{h} {path}" for i, h, path in db.execute("SELECT id, content_hash, rel_path FROM documents")}
            pairs = tuple(
                (ids[a], ids[b], similarity, aligned)
                for a, b, similarity, aligned in db.execute(
                    "SELECT first, second, similarity, alignment FROM duplicates"
                )
            )
        finally:
            db.close()
    except (RecommenderError, sqlite3.Error, OSError, KeyError):
        return None
    return PreviousBuild(manifest, hashes, pairs)
