"""Crash safety of indexer.store publishing: SIGKILL a real `recommender index` at several points.

Whatever moment the rebuild dies at, the index root must still load a complete build - the
previous one, or the new one if it got published - and that build's vectors must be the
embeddings of its own pieces, with FAISS search agreeing with a brute-force numpy search.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from indexer.build import BuildOptions, piece_texts
from indexer.embed import Embedder
from indexer.store import IndexSnapshot, load_index
from indexer.vocabulary import Vocabulary
from tests.fakes import search_each

RECOMMENDER = Path(sys.executable).parent / "recommender"

pytestmark = pytest.mark.slow

BASE = {
    "acme.md": (
        "---\nid: cs-acme\ntitle: Acme closes in three days\naudience: buyer\n---\n"
        "# Acme\n\nAcme cut its close from ten days to three.\n"
    ),
    "pricing.md": "---\nid: faq-pricing\naudience: buyer\n---\n# Pricing FAQ\n\nPricing is per legal entity.\n",
    "notes.md": "# Win notes\n\nBuyers liked the audit trail.\n",
}
TOPICS = [
    "bank reconciliations",
    "intercompany eliminations",
    "flux analysis",
    "journal entry review",
    "audit evidence",
    "close calendars",
    "accrual estimates",
    "variance thresholds",
]


def corpus_version(folder: Path, version: int) -> dict[str, str]:
    """The base library plus one long guide (30 sections) whose text is new in every version."""
    docs = dict(BASE)
    if version:
        docs["acme.md"] = docs["acme.md"].replace("ten days", f"{10 + version} days")
        sections = []
        for n in range(30):
            topic = TOPICS[n % len(TOPICS)]
            sentence = f"In revision {version}, step {n} of the playbook covers {topic} for entity {n * 7 + version}. "
            sections.append(f"## Step {n}: {topic}\n\n" + sentence * 6 + "\n")
        docs["guide.md"] = f"---\nid: guide\ntitle: Close playbook v{version}\n---\n# Close playbook\n\n" + "\n".join(
            sections
        )
    for rel, text in docs.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return docs


def start_index(corpus: Path, root: Path, log: Path) -> subprocess.Popen[bytes]:
    """`recommender index` in the background; its stderr goes to `log`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
    environ.update({"RECOMMENDER_BATCH_SIZE": "1", "COLUMNS": "1000"})  # batch size 1: a long, killable embedding phase
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [str(RECOMMENDER), "index", str(corpus), "--index", str(root), "--json"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


# ---- when to kill --------------------------------------------------------------------------

Trigger = Callable[[subprocess.Popen[bytes], Path], str]


def wait_until(proc: subprocess.Popen[bytes], ready: Callable[[], bool], what: str) -> str:
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            return what
        time.sleep(0.002)
    return "finished first" if proc.poll() is not None else "timed out"


def after(seconds: float) -> Trigger:
    def trigger(proc: subprocess.Popen[bytes], root: Path) -> str:
        started = time.monotonic()
        return wait_until(proc, lambda: time.monotonic() - started >= seconds, f"after {seconds}s")

    return trigger


def while_embedding(proc: subprocess.Popen[bytes], root: Path) -> str:
    cache = root / "cache" / "embeddings.sqlite"
    before = cache.stat().st_mtime_ns, cache.stat().st_size
    return wait_until(proc, lambda: (cache.stat().st_mtime_ns, cache.stat().st_size) != before, "while embedding")


def while_writing(proc: subprocess.Popen[bytes], root: Path) -> str:
    builds = root / "builds"
    old = set(builds.glob("*.partial"))
    return wait_until(proc, lambda: bool(set(builds.glob("*.partial")) - old), "while writing builds/*.partial")


# ---- what must hold after each kill --------------------------------------------------------


def assert_search_matches_brute_force(snapshot: IndexSnapshot, embedder: Embedder) -> np.ndarray:
    """FAISS search over the loaded build returns what a brute-force numpy search over its vectors does."""
    assert len(snapshot.pieces) == snapshot.vectors.size == snapshot.keyword.size == snapshot.manifest.counts.pieces
    stored = np.asarray(snapshot.matrix)
    queries = np.vstack(
        [embedder.embed(["how long does the close take", "intercompany eliminations for entity 12"]), stored[-1:]]
    )
    k = min(8, len(stored))
    scores, rows = search_each(snapshot.vectors, queries, k)
    brute = queries @ stored.T
    for q in range(len(queries)):
        expected = np.argsort(-brute[q], kind="stable")[:k]
        np.testing.assert_allclose(brute[q][rows[q]], brute[q][expected], atol=1e-5)
        np.testing.assert_allclose(scores[q], brute[q][expected], atol=1e-5)
    assert rows[2][0] == len(stored) - 1  # a piece's own vector finds that piece first
    return stored


def assert_rows_are_their_pieces(snapshot: IndexSnapshot, stored: np.ndarray, embedder: Embedder) -> None:
    """Vector row i is the embedding of piece i's text, re-embedded here from the build's sources."""
    sources = [Path(s) for s in snapshot.manifest.sources]
    texts = piece_texts(sources, options=BuildOptions(index=snapshot.path), embedder=embedder, vocabulary=Vocabulary())
    assert len(texts) == len(snapshot.pieces)
    assert all(t.endswith(p.text) for t, p in zip(texts, snapshot.pieces))
    reference = embedder.embed(texts, batch_size=16)
    assert np.min(np.sum(stored * reference, axis=1)) > 0.999, "a vector row does not belong to its piece"


def assert_complete_and_consistent(snapshot: IndexSnapshot, embedder: Embedder, *, verified: set[str]) -> None:
    stored = assert_search_matches_brute_force(snapshot, embedder)
    if (
        snapshot.manifest.build_id not in verified
    ):  # re-embedding is the slow part; a build's files cannot change unseen (checksums)
        assert_rows_are_their_pieces(snapshot, stored, embedder)
        verified.add(snapshot.manifest.build_id)


def test_a_killed_rebuild_never_leaves_a_broken_index(tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    first_corpus = tmp_path / "v0"
    corpus_version(first_corpus, 0)
    first = start_index(first_corpus, root, tmp_path / "v0.log")
    assert first.wait(timeout=600) == 0, (tmp_path / "v0.log").read_text()
    published = load_index(root, model_id=embedder.model_id)
    verified: set[str] = set()
    assert_complete_and_consistent(published, embedder, verified=verified)

    triggers: list[Trigger] = [after(0.5), after(1.5), after(3.0), while_embedding, while_writing]
    outcomes = []
    for version, trigger in enumerate(triggers, start=1):
        corpus = tmp_path / f"v{version}"
        docs = corpus_version(corpus, version)
        proc = start_index(corpus, root, tmp_path / f"v{version}.log")
        try:
            moment = trigger(proc, root)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
        outcomes.append((moment, proc.returncode))
        assert proc.returncode in (0, -signal.SIGKILL), (tmp_path / f"v{version}.log").read_text()

        snapshot = load_index(root, model_id=embedder.model_id)
        if snapshot.manifest.build_id != published.manifest.build_id:
            assert snapshot.manifest.sources == [str(corpus.resolve())], (
                "a build other than the previous or the new one is published"
            )
            assert {d.rel_path for d in snapshot.documents} == set(docs)
        else:
            assert [d.rel_path for d in snapshot.documents] == [d.rel_path for d in published.documents]
            assert [p.text for p in snapshot.pieces] == [p.text for p in published.pieces]
        assert_complete_and_consistent(snapshot, embedder, verified=verified)
        published = snapshot

    assert ("while embedding", -signal.SIGKILL) in outcomes, (
        outcomes
    )  # at least one death mid-build, not only at start-up

    final_corpus = tmp_path / "final"
    docs = corpus_version(final_corpus, 99)
    finish = start_index(final_corpus, root, tmp_path / "final.log")
    assert finish.wait(timeout=600) == 0, (tmp_path / "final.log").read_text()
    snapshot = load_index(root, model_id=embedder.model_id)
    assert {d.rel_path for d in snapshot.documents} == set(docs)
    assert any("revision 99" in p.text for p in snapshot.pieces)
    assert_complete_and_consistent(snapshot, embedder, verified=verified)
    assert not list((root / "builds").glob("*.partial")), "a finished build cleans up what killed builds left"
    assert len(list((root / "builds").iterdir())) <= 2
