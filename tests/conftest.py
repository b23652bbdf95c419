"""Shared fixtures: the real bundled model (exported and loaded once) and the real sample corpus indexed once.

`embedder` is the default encoder, the one users meet: the bundled all-MiniLM-L6-v2 exported to
ONNX (fp32) and run by ONNX Runtime. `torch_embedder` is the same model on sentence-transformers,
the reference the ONNX encoder is checked against.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from indexer.build import BuildOptions, BuildSummary, build_index
from indexer.embed import Embedder, SentenceTransformerEmbedder, load_embedder
from indexer.encoders import indexing_encoder
from indexer.settings import Settings
from indexer.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVALDATA = ROOT.parent / "shared" / "evaldata"


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this session's ONNX exports are cached (each precision is exported once)."""
    return tmp_path_factory.mktemp("encoder-exports")


@pytest.fixture(scope="session")
def embedder(exports: Path) -> Embedder:
    """The default encoder (ONNX Runtime, fp32), exported from the bundled model once for the whole session."""
    return indexing_encoder(Settings(), exports=exports)


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2 on sentence-transformers (torch), loaded once for the whole session."""
    return load_embedder(None)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The sample corpus indexed once with the default encoder; tests must not modify it."""
    root = tmp_path_factory.mktemp("corpus-index")
    build_index([CORPUS], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())
    return root


@pytest.fixture(scope="session")
def corpus_summary(corpus_index: Path, embedder: Embedder) -> BuildSummary:
    """A second build of the unchanged corpus: what an incremental re-run reports."""
    return build_index([CORPUS], options=BuildOptions(index=corpus_index), embedder=embedder, vocabulary=Vocabulary())


TENANT_B = ROOT / "tests" / "data" / "tenant_b"


@pytest.fixture(scope="session")
def tenant_b_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A second, tiny library (tests/data/tenant_b: marker words in ids, titles and text) indexed once; tests
    that write to a library (events, builds) work on their own copy."""
    root = tmp_path_factory.mktemp("tenant-b-index")
    build_index([TENANT_B], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())
    return root


@pytest.fixture(scope="session")
def ray_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """A local Ray instance with 2 CPUs, started once for the session and shut down after it: no dashboard,
    no usage statistics, its session files in this run's temporary folder."""
    import os

    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        configure_logging=False,
        log_to_driver=False,
        _temp_dir=str(tmp_path_factory.mktemp("ray")),
    )
    yield ray
    ray.shutdown()
