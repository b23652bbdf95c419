"""indexer.build and indexer.store: building, publishing, re-building and loading an index.

Small corpora are written to tmp_path and embedded with the real bundled model; the last tests
use the real sample corpus (indexed once per session by the `corpus_index` fixture).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from indexer.build import BuildOptions, BuildSummary, build_index, piece_texts
from indexer.embed import Embedder
from indexer.errors import IndexCorruptError, IndexMissingError, ModelMismatchError, RecommenderError, StrictModeError
from indexer.manifest import FORMAT_VERSION
from indexer.sources import ignore_spec
from indexer.store import IndexSnapshot, load_index
from indexer.vocabulary import Vocabulary
from tests.fakes import search_each

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

DOCS = {
    "case-studies/acme.md": (
        "---\nid: cs-acme\ntitle: Acme closes in three days\ntype: case-study\naudience: buyer\nstages: [proof]\n---\n"
        "# Acme closes in three days\n\nAcme's finance team cut the month-end close from ten days to three.\n\n"
        "## Results\n\nReconciliations now match automatically, and auditors find the evidence in one place.\n"
    ),
    "security/soc2.md": (
        "---\nid: sec-soc2\ntitle: SOC 2 Type II summary\ntype: security\naudience: buyer\n---\n"
        "# SOC 2 report\n\nWe hold a SOC 2 Type II report covering security, availability and confidentiality.\n"
    ),
    "internal/battlecard.md": (
        "# Battlecard: spreadsheets\n\nWhen a buyer says spreadsheets are fine, ask how many days the close takes.\n"
    ),
}


def write_corpus(folder: Path, docs: dict[str, str]) -> Path:
    for rel, text in docs.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


def build(corpus: Path, root: Path, embedder: Embedder, **options: object) -> BuildSummary:
    return build_index(
        [corpus], options=BuildOptions(index=root, **options), embedder=embedder, vocabulary=Vocabulary()
    )  # type: ignore[arg-type]


def load(root: Path, embedder: Embedder) -> IndexSnapshot:
    return load_index(root, model_id=embedder.model_id)


def built_ids(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "builds").iterdir())


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", DOCS)


def assert_vectors_match_pieces(snapshot: IndexSnapshot, embedder: Embedder) -> None:
    """Row i of FAISS is the embedding of piece i, and FAISS search agrees with brute-force numpy."""
    texts = piece_texts(
        [Path(s) for s in snapshot.manifest.sources],
        options=BuildOptions(index=snapshot.path),
        embedder=embedder,
        vocabulary=Vocabulary(),
    )
    assert len(texts) == len(snapshot.pieces) == snapshot.vectors.size == snapshot.keyword.size
    assert all(t.endswith(p.text) for t, p in zip(texts, snapshot.pieces, strict=True))
    reference = embedder.embed(texts)
    stored = np.asarray(snapshot.matrix)
    assert np.min(np.sum(stored * reference, axis=1)) > 0.999
    queries = np.vstack(
        [embedder.embed(["how fast is the month-end close", "is my data secure", "spreadsheets"]), reference[:2]]
    )
    k = min(5, len(texts))
    faiss_scores, faiss_rows = search_each(snapshot.vectors, queries, k)
    brute = queries @ stored.T
    for q in range(len(queries)):
        expected_rows = np.argsort(-brute[q], kind="stable")[:k]
        np.testing.assert_allclose(faiss_scores[q], brute[q][expected_rows], atol=1e-5)
        np.testing.assert_allclose(brute[q][faiss_rows[q]], brute[q][expected_rows], atol=1e-5)
        assert faiss_rows[q][0] == expected_rows[0]


# ---- a first build -------------------------------------------------------------------------


def test_build_publishes_current_with_counts_and_checksums(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    summary = build(corpus, root, embedder)

    assert (summary.documents, summary.added, summary.updated, summary.removed, summary.skipped) == (3, 3, 0, 0, 0)
    assert summary.pieces == summary.pieces_embedded == 4
    assert summary.treated_as_internal == 1  # the battlecard has no audience
    assert summary.issues == []

    current = root / "current"
    assert current.is_symlink()
    assert os.readlink(current) == f"builds/{summary.build_id}"
    build_dir = current.resolve()
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["build_id"] == summary.build_id
    assert manifest["counts"] == {"documents": 3, "sections": 4, "pieces": 4, "buyer_documents": 2}
    assert manifest["model"] == {
        "id": embedder.model_id,
        "dimension": embedder.dimension,
        "max_tokens": embedder.max_tokens,
    }
    assert manifest["sources"] == [str(corpus.resolve())]
    on_disk = {p.relative_to(build_dir).as_posix() for p in build_dir.rglob("*") if p.is_file()}
    assert {"content.sqlite", "vectors.npy", "manifest.json", "manifest.sha256"} <= on_disk
    assert any(name.startswith("keyword/") for name in on_disk)
    assert set(manifest["files"]) == on_disk - {"manifest.json", "manifest.sha256"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((build_dir / name).read_bytes()).hexdigest() == digest
    manifest_digest = hashlib.sha256((build_dir / "manifest.json").read_bytes()).hexdigest()
    assert (build_dir / "manifest.sha256").read_text(encoding="utf-8") == f"{manifest_digest}  manifest.json\n"
    assert not list((root / "builds").glob("*.partial"))


def test_a_published_build_loads_and_searches_like_brute_force(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    snapshot = load(root, embedder)

    assert sorted(d.meta.id for d in snapshot.documents) == ["cs-acme", "internal/battlecard", "sec-soc2"]
    acme = snapshot.documents[snapshot.document_index("cs-acme")]  # type: ignore[index]
    assert acme.meta.stages == ("validation",)
    assert acme.rel_path == "case-studies/acme.md"
    assert [s.heading_path for s in snapshot.sections if snapshot.documents[s.doc] is acme] == [
        ("Acme closes in three days",),
        ("Acme closes in three days", "Results"),
    ]
    assert snapshot.document_index("nope") is None
    assert list(snapshot.piece_doc) == [p.doc for p in snapshot.pieces]
    assert snapshot.keyword.scores("SOC 2 availability").argmax() == next(
        i for i, p in enumerate(snapshot.pieces) if "SOC 2" in p.text
    )
    assert_vectors_match_pieces(snapshot, embedder)


def test_loading_where_there_is_no_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="no index at") as caught:
        load_index(tmp_path / "empty", model_id=None)
    assert "recommender index" in caught.value.hint


# ---- re-building ---------------------------------------------------------------------------


def test_an_unchanged_rerun_embeds_nothing_and_keeps_two_builds(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    root = tmp_path / "index"
    first = build(corpus, root, embedder)
    second = build(corpus, root, embedder)
    third = build(corpus, root, embedder)

    for summary in (second, third):
        assert (summary.pieces_embedded, summary.unchanged, summary.added, summary.updated, summary.removed) == (
            0,
            3,
            0,
            0,
            0,
        )
        assert summary.pieces == first.pieces
    assert built_ids(root) == sorted([second.build_id, third.build_id])  # keep_builds=2 pruned the first
    assert load(root, embedder).manifest.build_id == third.build_id


def test_edit_add_remove_are_reported_and_only_changed_pieces_embedded(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    before = set(piece_texts([corpus], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary()))

    acme = corpus / "case-studies/acme.md"
    acme.write_text(
        acme.read_text(encoding="utf-8").replace("auditors find the evidence", "auditors download the evidence"),
        encoding="utf-8",
    )
    (corpus / "faq").mkdir()
    (corpus / "faq/pricing.md").write_text(
        "---\nid: faq-pricing\n---\n# Pricing FAQ\n\nPricing is per legal entity, billed annually.\n", encoding="utf-8"
    )
    (corpus / "internal/battlecard.md").unlink()
    after = piece_texts([corpus], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())

    summary = build(corpus, root, embedder)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (1, 1, 1, 1)
    changed = set(after) - before
    assert len(changed) == 2  # the edited Results section and the new FAQ; acme's intro is unchanged
    assert summary.pieces_embedded == len(changed)
    assert summary.pieces == len(after) == 4

    snapshot = load(root, embedder)
    assert sorted(d.meta.id for d in snapshot.documents) == ["cs-acme", "faq-pricing", "sec-soc2"]
    assert any("auditors download the evidence" in p.text for p in snapshot.pieces)
    assert not any("spreadsheets" in p.text for p in snapshot.pieces)
    assert_vectors_match_pieces(snapshot, embedder)


def test_a_title_change_re_embeds_every_piece_of_that_document(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    acme = corpus / "case-studies/acme.md"
    acme.write_text(
        acme.read_text(encoding="utf-8").replace("title: Acme closes in three days", "title: Acme closes in 3 days"),
        encoding="utf-8",
    )
    summary = build(corpus, root, embedder)
    assert (summary.updated, summary.pieces_embedded) == (1, 2)  # the title is part of every piece's embedded text


# ---- problems in the input -----------------------------------------------------------------


def test_duplicate_id_skips_the_second_file(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    (corpus / "zz-copy.md").write_text(
        "---\nid: cs-acme\n---\n# Another Acme\n\nA different text with the same id.\n", encoding="utf-8"
    )
    summary = build(corpus, tmp_path / "index", embedder)
    assert summary.documents == 3 and summary.skipped == 1
    [issue] = summary.issues
    assert (issue.path, issue.severity) == ("zz-copy.md", "skipped")
    assert "duplicate id 'cs-acme'" in issue.what and "case-studies/acme.md" in issue.what
    snapshot = load(tmp_path / "index", embedder)
    assert snapshot.documents[snapshot.document_index("cs-acme")].rel_path == "case-studies/acme.md"  # type: ignore[index]
    assert [i.path for i in snapshot.issues] == ["zz-copy.md"]  # the build keeps its issues


def test_bad_files_are_reported_and_the_rest_indexed(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    (corpus / "latin1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "stage.md").write_text("---\nstages: [someday]\n---\n# Stage\n\nText.\n", encoding="utf-8")
    summary = build(corpus, tmp_path / "index", embedder)
    assert summary.documents == 4 and summary.skipped == 2
    assert sorted((i.path, i.severity) for i in summary.issues) == [
        ("empty.md", "skipped"),
        ("latin1.md", "skipped"),
        ("stage.md", "warning"),
    ]


def test_strict_mode_raises_and_leaves_the_previous_index_unchanged(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    root = tmp_path / "index"
    first = build(corpus, root, embedder)
    manifest_before = (root / "current" / "manifest.json").read_bytes()
    (corpus / "stage.md").write_text("---\nstages: [someday]\n---\n# Stage\n\nNew text.\n", encoding="utf-8")

    with pytest.raises(StrictModeError) as caught:
        build(corpus, root, embedder, strict=True)
    assert "nothing was published" in caught.value.message
    assert "stage.md:2: unknown stage 'someday'" in caught.value.message  # the problems are in the error itself
    assert os.readlink(root / "current") == f"builds/{first.build_id}"
    assert (root / "current" / "manifest.json").read_bytes() == manifest_before
    assert built_ids(root) == [first.build_id]
    assert len(load(root, embedder).documents) == 3


def test_nothing_indexable_is_an_error_that_names_the_problems(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "blank.md").write_text("   \n", encoding="utf-8")
    with pytest.raises(RecommenderError, match="no file could be indexed") as caught:
        build(folder, tmp_path / "index", embedder)
    assert "blank.md: empty file" in caught.value.message
    assert not (tmp_path / "index" / "current").exists()


def test_a_folder_without_markdown_is_an_error(tmp_path: Path, embedder: Embedder) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("not markdown", encoding="utf-8")
    with pytest.raises(RecommenderError, match=r"no markdown \(.md\) files"):
        build(tmp_path / "docs", tmp_path / "index", embedder)


def test_a_second_concurrent_build_is_refused(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    root.mkdir()
    with (root / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RecommenderError, match="another index build is running"):
            build(corpus, root, embedder)
    assert build(corpus, root, embedder).documents == 3  # the lock is free again


# ---- refusing damaged or foreign indexes ---------------------------------------------------


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damaged", ["vectors.npy", "content.sqlite"])
def test_a_corrupted_file_is_refused_with_how_to_rebuild(
    corpus: Path, tmp_path: Path, embedder: Embedder, damaged: str
) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    flip_byte(root / "current" / damaged)

    with pytest.raises(IndexCorruptError) as caught:
        load(root, embedder)
    assert damaged in caught.value.message and "checksum" in caught.value.message
    assert caught.value.hint == f"Rebuild it with 'recommender index PATH --index {root}'."

    summary = build(corpus, root, embedder)  # following the hint works, from the cache
    assert summary.pieces_embedded == 0
    assert len(load(root, embedder).pieces) == summary.pieces


def test_a_deleted_keyword_file_is_refused(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    next((root / "current" / "keyword").iterdir()).unlink()
    with pytest.raises(IndexCorruptError, match="missing or does not match"):
        load(root, embedder)


def test_an_unreadable_manifest_is_refused(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    (root / "current" / "manifest.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="unreadable manifest") as caught:
        load(root, embedder)
    assert "recommender index" in caught.value.hint


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b'"stopwords": "en"', b'"stopwords": "dn"'),  # the issue's case: every query then failed
        (b'"k1": 0.9', b'"k1": 9.9'),  # valid, so it used to load and silently change every keyword score
    ],
)
def test_a_changed_manifest_is_refused_until_it_is_repaired(
    corpus: Path, tmp_path: Path, embedder: Embedder, before: bytes, after: bytes
) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    path = root / "current" / "manifest.json"
    good = path.read_bytes()
    assert before in good
    path.write_bytes(good.replace(before, after))
    with pytest.raises(IndexCorruptError) as caught:
        load(root, embedder)
    assert "is damaged: manifest.json does not match its checksum in manifest.sha256" in caught.value.message
    assert caught.value.hint == f"Rebuild it with 'recommender index PATH --index {root}'."
    path.write_bytes(good)
    assert load(root, embedder).keyword.config.stopwords == "en"


def test_a_missing_manifest_checksum_is_refused(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    (root / "current" / "manifest.sha256").unlink()
    with pytest.raises(IndexCorruptError, match="manifest.json does not match its checksum"):
        load(root, embedder)


def test_a_build_from_before_the_manifest_checksum_is_refused_with_how_to_rebuild(
    corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    (root / "current" / "manifest.sha256").unlink()
    path = root / "current" / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), "format_version": 2}), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=f"has format version 2; this version reads {FORMAT_VERSION}") as caught:
        load(root, embedder)
    assert "recommender index PATH" in caught.value.hint


def test_another_format_version_is_refused(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    path = root / "current" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "format_version": FORMAT_VERSION + 1}), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=f"format version {FORMAT_VERSION + 1}"):
        load(root, embedder)


def test_an_index_from_another_model_is_refused(corpus: Path, tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    build(corpus, root, embedder)
    with pytest.raises(ModelMismatchError) as caught:
        load_index(root, model_id="other-model@0123456789ab")
    assert embedder.model_id in caught.value.message and "other-model@0123456789ab" in caught.value.message
    assert "recommender index PATH" in caught.value.hint
    assert load_index(root, model_id=None).manifest.model.id == embedder.model_id  # no model given: no check


# ---- the real sample corpus ----------------------------------------------------------------


def visible_markdown(folder: Path, *, older_than: float) -> set[str]:
    """.md files a build must account for, not touched since `older_than` (others edit corpus/ meanwhile).

    Left out by design: hidden files and folders, and what the library's .recommenderignore lists.
    """
    ignored = ignore_spec(folder)
    found = set()
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if not (path.is_file() and path.name.lower().endswith(".md")) or any(
            part.startswith(".") for part in rel.parts
        ):
            continue
        if ignored.match_file(rel.as_posix()):
            continue
        if path.stat().st_mtime < older_than:
            found.add(rel.as_posix())
    return found


@pytest.mark.slow
def test_every_corpus_file_is_indexed_or_reported(
    corpus_index: Path, corpus_summary: BuildSummary, embedder: Embedder
) -> None:
    snapshot = load(corpus_index, embedder)
    assert snapshot.manifest.build_id == corpus_summary.build_id
    built = snapshot.manifest.built_at.timestamp() - corpus_summary.seconds - 1
    indexed = {d.rel_path for d in snapshot.documents}
    reported = {i.path for i in corpus_summary.issues}
    missing = visible_markdown(CORPUS, older_than=built) - indexed - reported
    assert not missing, f"neither indexed nor reported: {sorted(missing)}"
    assert len(indexed) == corpus_summary.documents > 20
    assert snapshot.manifest.counts.pieces == len(snapshot.pieces) == snapshot.vectors.size
    for issue in corpus_summary.issues:
        assert issue.fix and issue.what


@pytest.mark.slow
def test_rerunning_on_the_unchanged_corpus_embeds_nothing(corpus_summary: BuildSummary) -> None:
    assert corpus_summary.pieces_embedded == 0
    assert corpus_summary.added == corpus_summary.updated == corpus_summary.removed == 0
    assert corpus_summary.unchanged == corpus_summary.documents


@pytest.mark.slow
def test_the_corpus_index_searches_like_brute_force(
    corpus_index: Path, corpus_summary: BuildSummary, embedder: Embedder
) -> None:
    snapshot = load(corpus_index, embedder)
    stored = np.asarray(snapshot.matrix)
    np.testing.assert_allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-4)
    queries = embedder.embed(
        ["SOC 2 report for a bank", "how long does implementation take", "ROI of automating reconciliations"]
    )
    scores, rows = search_each(snapshot.vectors, queries, 10)
    brute = queries @ stored.T
    for q in range(len(queries)):
        expected = np.sort(brute[q])[::-1][:10]
        np.testing.assert_allclose(scores[q], expected, atol=1e-5)
        np.testing.assert_allclose(brute[q][rows[q]], expected, atol=1e-5)
