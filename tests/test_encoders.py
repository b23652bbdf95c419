"""Which encoder answers: the index carries the one that made its vectors and refuses any other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer.build import BuildOptions, build_index
from indexer.embed import Embedder, SentenceTransformerEmbedder
from indexer.encoders import indexing_encoder, open_index
from indexer.errors import IndexCorruptError, ModelMismatchError
from indexer.manifest import Manifest
from indexer.onnx_embed import OnnxEmbedder
from indexer.settings import Settings
from indexer.store import load_index
from indexer.vocabulary import Vocabulary
from recommender.service import Recommender, parse_request

REQUEST = {
    "problems": ["month-end close takes twelve days", "auditors want evidence for every reconciliation"],
    "stage": "evaluation",
    "roles": ["cfo"],
}


def tiny_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "close.md").write_text(
        "---\nid: close-guide\naudience: buyer\n---\n# A faster close\n\nClose the books in three days.\n",
        encoding="utf-8",
    )
    return folder


def test_an_onnx_build_carries_its_encoder_under_the_checksums(corpus_index: Path, embedder: Embedder) -> None:
    snapshot = load_index(corpus_index, model_id=None)
    encoder = snapshot.manifest.encoder
    assert (encoder.runtime, encoder.precision, encoder.fingerprint, encoder.folder) == (
        "onnx",
        "fp32",
        embedder.encoder_fingerprint,
        "encoder",
    )
    assert {"encoder/model.onnx", "encoder/model.onnx.data", "encoder/tokenizer.json", "encoder/encoder.json"} <= set(
        snapshot.manifest.files
    )


def test_the_index_answers_with_its_own_encoder_and_gives_the_same_answer(
    corpus_index: Path, embedder: Embedder
) -> None:
    own = Recommender.open(Settings(index=corpus_index))
    used = own.retriever.embedder
    assert isinstance(used, OnnxEmbedder) and used.folder == own.snapshot.path / "encoder"
    assert used.threads == 1  # one thread per query: concurrent requests share the cores side by side
    given = Recommender.open(Settings(index=corpus_index), embedder=embedder)
    request = parse_request(REQUEST)
    assert own.recommend(request) == given.recommend(request)


@pytest.mark.parametrize(
    ("configured", "wanted"), [({"runtime": "torch"}, "torch fp32"), ({"precision": "int8"}, "onnx int8")]
)
def test_a_configured_encoder_that_differs_is_refused_with_what_to_do(
    corpus_index: Path, configured: dict[str, str], wanted: str
) -> None:
    with pytest.raises(ModelMismatchError) as raised:
        Recommender.open(Settings(index=corpus_index, **configured))
    assert (
        "was built with the onnx fp32 encoder " in raised.value.message
        and f"the configured encoder is {wanted}" in raised.value.message
    )
    assert "recommender index PATH --index" in raised.value.hint
    assert "RECOMMENDER_RUNTIME=onnx RECOMMENDER_PRECISION=fp32" in raised.value.hint


def test_a_loaded_encoder_that_differs_is_refused(corpus_index: Path, exports: Path) -> None:
    int8 = indexing_encoder(Settings(precision="int8"), exports=exports)
    with pytest.raises(ModelMismatchError, match="the query encoder is the onnx int8 encoder"):
        Recommender.open(Settings(index=corpus_index), embedder=int8)


def test_a_damaged_encoder_in_the_build_is_refused(corpus_index: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(corpus_index, copy, symlinks=True)
    tokenizer = copy / "current" / "encoder" / "tokenizer.json"
    tokenizer.unlink()  # it may be a hard link to the cached export: replace it, never write through it
    tokenizer.write_text("{}", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="encoder/tokenizer.json is missing or does not match its checksum"):
        Recommender.open(Settings(index=copy))


def test_the_same_encoder_is_kept_across_builds(tmp_path: Path, embedder: Embedder) -> None:
    root = tmp_path / "index"
    build_index(
        [tiny_corpus(tmp_path / "c")], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary()
    )
    first, loaded = open_index(Settings(index=root))
    (tmp_path / "c" / "more.md").write_text(
        "---\nid: more\naudience: buyer\n---\n# More\n\nMore text.\n", encoding="utf-8"
    )
    build_index([tmp_path / "c"], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())
    second, kept = open_index(Settings(index=root), reuse=loaded)
    assert second.manifest.build_id != first.manifest.build_id and kept is loaded


def test_a_torch_build_answers_on_torch_and_refuses_onnx(
    tmp_path: Path, torch_embedder: SentenceTransformerEmbedder
) -> None:
    root = tmp_path / "index"
    build_index(
        [tiny_corpus(tmp_path / "c")],
        options=BuildOptions(index=root),
        embedder=torch_embedder,
        vocabulary=Vocabulary(),
    )
    snapshot = load_index(root, model_id=None)
    assert (snapshot.manifest.encoder.runtime, snapshot.manifest.encoder.folder) == ("torch", None)
    assert not (snapshot.path / "encoder").exists()
    assert isinstance(Recommender.open(Settings(index=root)).retriever.embedder, SentenceTransformerEmbedder)
    with pytest.raises(ModelMismatchError, match="built with the torch fp32 encoder"):
        Recommender.open(Settings(index=root, runtime="onnx"))


def test_an_index_from_before_runtimes_reads_as_built_by_torch(corpus_index: Path) -> None:
    data = json.loads((corpus_index / "current" / "manifest.json").read_text(encoding="utf-8"))
    del data["encoder"]
    encoder = Manifest.model_validate(data).encoder
    assert (encoder.runtime, encoder.precision, encoder.folder) == ("torch", "fp32", None)
