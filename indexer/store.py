"""The index on disk: a folder of plain files with a manifest, published atomically.

    <root>/current -> builds/<build-id>     symlink, switched with one rename
    <root>/builds/<build-id>/manifest.json  format, model, encoder, counts, build time, sha256 of each file
                            manifest.sha256 sha256 of manifest.json, so every file of a build is checked
                            content.sqlite  documents, sections, pieces, build issues
                            vectors.faiss   one vector per piece (row = piece index)
                            keyword/        bm25s index over the same pieces
                            sentences.npy   one vector per sentence (float16; row = sentence row)
                            encoder/        the ONNX encoder that made the vectors (onnx builds), which answers queries
    <root>/cache/embeddings.sqlite          embeddings by encoder and text hash
    <root>/cache/encoders/<fingerprint>/    ONNX exports, made once and reused by the next build

A build is written to `builds/<id>.partial`, renamed to `builds/<id>` and then `current` is
switched to it with `os.replace`, which is atomic: a crash at any moment leaves the previous
build whole, published and loadable.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.errors import IndexCorruptError, IndexMissingError, ModelMismatchError
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
from indexer.vectors import load_vector_index, save_vector_index

if TYPE_CHECKING:
    import faiss

CURRENT = "current"
BUILDS = "builds"
CONTENT = "content.sqlite"
VECTORS = "vectors.faiss"
KEYWORD = "keyword"
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


@dataclass
class IndexSnapshot:
    """A loaded, verified build: read-only and safe to share between threads."""

    path: Path
    manifest: Manifest
    documents: tuple[StoredDocument, ...]
    sections: tuple[StoredSection, ...]
    pieces: tuple[StoredPiece, ...]
    piece_doc: np.ndarray
    vectors: faiss.Index
    keyword: KeywordIndex
    issues: tuple[FileIssue, ...]
    sentences: tuple[StoredSentence, ...]
    sentence_vectors: np.ndarray  # float16, one row per sentence
    piece_sentences: tuple[np.ndarray, np.ndarray]  # CSR: sentence rows of piece i are indices[indptr[i]:indptr[i + 1]]

    def sentences_of(self, piece: int) -> np.ndarray:
        indptr, indices = self.piece_sentences
        return indices[indptr[piece] : indptr[piece + 1]]

    def document_index(self, doc_id: str) -> int | None:
        return self._by_id.get(doc_id)

    def __post_init__(self) -> None:
        self._by_id = {d.meta.id: i for i, d in enumerate(self.documents)}


# ---- writing -------------------------------------------------------------------------------


def write_content(folder: Path, content: BuildContent) -> None:
    db = sqlite3.connect(folder / CONTENT)
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
"""


def write_build(
    root: Path,
    build_id: str,
    content: BuildContent,
    *,
    vectors: faiss.Index,
    keyword: KeywordIndex,
    sentence_vectors: np.ndarray,
    manifest: dict,
    encoder: Path | None = None,
) -> Path:
    """Write a complete build aside (`builds/<id>.partial`), then rename it into place.

    `encoder`: a folder of encoder files the build carries (copied, or hard-linked when it can be).
    """
    partial = root / BUILDS / f"{build_id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    write_content(partial, content)
    save_vector_index(vectors, partial / VECTORS)
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
    for name, expected in manifest.files.items():
        path = build / name
        if not path.is_file() or sha256_file(path) != expected:
            raise IndexCorruptError(
                f"the index at {root} is damaged: {name} is missing or does not match its checksum "
                f"(build {build.name})",
                hint=hint,
            )


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
    documents, sections, pieces, issues, sentences = read_content(build / CONTENT)
    keyword = KeywordIndex.load(build / KEYWORD, KeywordConfig(**manifest.keyword))
    sentence_vectors = np.load(build / SENTENCE_VECTORS, mmap_mode="r", allow_pickle=False)
    if len(sentence_vectors) != len(sentences):
        raise ValueError(f"{len(sentences)} sentences but {len(sentence_vectors)} sentence vectors")
    return IndexSnapshot(
        path=build,
        manifest=manifest,
        documents=documents,
        sections=sections,
        pieces=pieces,
        piece_doc=np.fromiter((p.doc for p in pieces), dtype=np.int64, count=len(pieces)),
        vectors=load_vector_index(build / VECTORS),
        keyword=keyword,
        issues=issues,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        piece_sentences=piece_sentence_index(sentences, len(pieces)),
    )


def piece_sentence_index(sentences: Sequence[StoredSentence], pieces: int) -> tuple[np.ndarray, np.ndarray]:
    """For every piece, the rows of the sentences it holds (part of), as CSR arrays."""
    owner = [(p, row) for row, s in enumerate(sentences) for p in range(s.first_piece, s.last_piece + 1)]
    owner.sort()
    counts = (
        np.bincount(np.array([p for p, _ in owner], dtype=np.int64), minlength=pieces)
        if owner
        else np.zeros(pieces, dtype=np.int64)
    )
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return indptr, np.array([row for _, row in owner], dtype=np.int64)


def read_content(
    path: Path,
) -> tuple[
    tuple[StoredDocument, ...],
    tuple[StoredSection, ...],
    tuple[StoredPiece, ...],
    tuple[FileIssue, ...],
    tuple[StoredSentence, ...],
]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        documents = tuple(
            StoredDocument(ContentMeta.model_validate_json(meta), rel, digest, words, minutes)
            for rel, digest, words, minutes, meta in db.execute(
                "SELECT rel_path, content_hash, word_count, reading_minutes, meta FROM documents ORDER BY row"
            )
        )
        sections = tuple(
            StoredSection(doc, heading, tuple(json.loads(hp)), level, line, words, minutes, text)
            for doc, heading, hp, level, line, words, minutes, text in db.execute(
                "SELECT doc, heading, heading_path, level, line, word_count, reading_minutes, text"
                " FROM sections ORDER BY row"
            )
        )
        pieces = tuple(
            StoredPiece(doc, section, text)
            for doc, section, text in db.execute("SELECT doc, section, text FROM pieces ORDER BY row")
        )
        issues = tuple(_issue(row) for row in db.execute("SELECT path, line, severity, what, fix FROM issues"))
        sentences = tuple(
            StoredSentence(*row)
            for row in db.execute("SELECT section, first_piece, last_piece, text FROM sentences ORDER BY row")
        )
    finally:
        db.close()
    return documents, sections, pieces, issues, sentences


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
