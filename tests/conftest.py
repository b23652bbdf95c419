"""Shared fixtures: the real bundled model (loaded once) and the real sample corpus indexed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build import BuildOptions, BuildSummary, build_index
from indexer.embed import SentenceTransformerEmbedder, load_embedder
from indexer.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVALDATA = ROOT.parent / "shared" / "evaldata"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded once for the whole session."""
    return load_embedder(None)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    """The sample corpus indexed once with the real model; tests must not modify it."""
    root = tmp_path_factory.mktemp("corpus-index")
    build_index([CORPUS], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())
    return root


@pytest.fixture(scope="session")
def corpus_summary(corpus_index: Path, embedder: SentenceTransformerEmbedder) -> BuildSummary:
    """A second build of the unchanged corpus: what an incremental re-run reports."""
    return build_index([CORPUS], options=BuildOptions(index=corpus_index), embedder=embedder, vocabulary=Vocabulary())
