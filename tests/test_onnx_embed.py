"""The ONNX Runtime encoder against sentence-transformers, on real texts from the sample corpus.

The reference is the bundled model on torch (`torch_embedder`); the texts are pieces the indexer
really embeds, plus whole documents, which run past the model's 256 word pieces and are truncated.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.build import BuildOptions, piece_texts
from indexer.embed import Embedder, SentenceTransformerEmbedder
from indexer.encoders import indexing_encoder
from indexer.export import cached_export, encoder_fingerprint
from indexer.onnx_embed import ENCODER_FILE, MODEL_DATA_FILE, MODEL_FILE, TOKENIZER_FILE, OnnxEmbedder, read_config
from indexer.settings import Settings
from indexer.vocabulary import Vocabulary
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def texts(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every third piece the indexer embeds from the corpus, and ten whole documents (longer than the model reads)."""
    pieces = piece_texts(
        [CORPUS],
        options=BuildOptions(index=tmp_path_factory.mktemp("unused")),
        embedder=embedder,
        vocabulary=Vocabulary(),
    )
    documents = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.md"))[:10]]
    return pieces[::3] + documents


@pytest.fixture(scope="module")
def reference(torch_embedder: SentenceTransformerEmbedder, texts: list[str]) -> np.ndarray:
    return torch_embedder.embed(texts)


@pytest.fixture(scope="module")
def int8(exports: Path) -> Embedder:
    return indexing_encoder(Settings(precision="int8"), exports=exports)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_the_texts_include_some_the_model_must_truncate(
    texts: list[str], torch_embedder: SentenceTransformerEmbedder
) -> None:
    assert len(texts) > 200
    assert sum(n > torch_embedder.max_tokens for n in torch_embedder.token_counts(texts)) >= 5


def test_fp32_gives_the_torch_vectors(embedder: Embedder, texts: list[str], reference: np.ndarray) -> None:
    vectors = embedder.embed(texts)
    assert (embedder.runtime, embedder.precision) == ("onnx", "fp32")
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert cosines(vectors, reference).min() > 0.9999


def test_int8_stays_close_to_the_torch_vectors(int8: Embedder, texts: list[str], reference: np.ndarray) -> None:
    similarity = cosines(int8.embed(texts), reference)
    assert int8.precision == "int8"
    assert similarity.mean() >= 0.99
    assert similarity.min() >= 0.95


def test_an_int8_vector_does_not_depend_on_the_other_texts_in_its_batch(int8: Embedder, texts: list[str]) -> None:
    alone = np.vstack([int8.embed_query(t) for t in texts[:6]])
    assert np.array_equal(int8.embed(texts[:6], batch_size=6), alone)


def test_a_query_alone_and_in_a_batch_agree(embedder: Embedder, texts: list[str]) -> None:
    batch = embedder.embed(texts[:40], batch_size=16)
    assert cosines(batch[:3], np.vstack([embedder.embed_query(t) for t in texts[:3]])).min() > 0.9999


def test_token_counts_are_the_torch_tokenizers(
    embedder: Embedder, int8: Embedder, torch_embedder: SentenceTransformerEmbedder, texts: list[str]
) -> None:
    expected = torch_embedder.token_counts(texts)
    assert embedder.token_counts(texts) == expected
    assert int8.token_counts(texts) == expected
    assert (
        (embedder.max_tokens, embedder.dimension) == (torch_embedder.max_tokens, torch_embedder.dimension) == (256, 384)
    )


def test_the_export_names_the_model_it_came_from(
    embedder: Embedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    assert embedder.model_id == torch_embedder.model_id
    assert embedder.encoder_id != torch_embedder.encoder_id  # cached vectors of one never stand in for the other's
    assert isinstance(embedder, OnnxEmbedder) and embedder.folder is not None
    config = read_config(embedder.folder)
    assert (
        config.fingerprint == embedder.encoder_fingerprint == embedder.folder.name == encoder_fingerprint(None, "fp32")
    )
    assert config.probe_cosine is not None and config.probe_cosine > 0.999
    assert {p.name for p in embedder.folder.iterdir()} == {MODEL_FILE, MODEL_DATA_FILE, TOKENIZER_FILE, ENCODER_FILE}


def test_an_export_is_made_once_and_reused(embedder: Embedder, exports: Path) -> None:
    assert isinstance(embedder, OnnxEmbedder)
    before = (embedder.folder / MODEL_DATA_FILE).stat().st_mtime_ns
    assert cached_export(None, exports, precision="fp32") == embedder.folder
    assert (embedder.folder / MODEL_DATA_FILE).stat().st_mtime_ns == before


def test_a_damaged_encoder_folder_is_a_clear_error(tmp_path: Path, embedder: Embedder) -> None:
    assert isinstance(embedder, OnnxEmbedder)
    folder = tmp_path / "encoder"
    folder.mkdir()
    (folder / ENCODER_FILE).write_text(json.dumps({"model_id": "x"}), encoding="utf-8")
    with pytest.raises(Exception, match="no usable ONNX encoder") as raised:
        OnnxEmbedder(folder)
    assert "Re-index" in getattr(raised.value, "hint", "")
