"""Indexing on Ray (indexer/engines.py): the same vectors, bit for bit, and the same recommendations as a
local build, on a local Ray instance with 2 CPUs and a part of the sample corpus."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from typer.testing import CliRunner

from indexer.build import BuildOptions, build_index, embedded_texts
from indexer.cache import EmbeddingCache, text_hash
from indexer.embed import Embedder
from indexer.engines import LocalEngine, RayEngine, WorkerEncoder
from indexer.errors import RecommenderError
from indexer.settings import Settings
from indexer.vocabulary import Vocabulary
from recommender.cli import app
from recommender.service import Recommender, parse_request
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.slow

TODAY = dt.date(2026, 11, 27)
PART = [  # six items of the sample corpus, ~400 texts: every chunk of 64 (batch size 8) reaches the workers
    CORPUS / "pricing" / "pricing-sheet-2024.md",
    CORPUS / "roi" / "roi-worksheet.md",
    CORPUS / "demos" / "demo-product-tour.md",
    CORPUS / "battlecards" / "bc-vs-spreadsheets.md",
    CORPUS / "faq" / "faq-end-users.md",
    CORPUS / "case-studies" / "cs-brightloop-audit-readiness.md",
]
BATCH = 8


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, ray_local: ModuleType) -> dict[str, Path]:
    """The same part of the corpus built twice from empty caches: in this process, and on 2 Ray workers."""
    roots = {}
    for name, engine in (("local", LocalEngine()), ("ray", RayEngine(workers=2))):
        roots[name] = tmp_path_factory.mktemp(f"build-{name}")
        options = BuildOptions(index=roots[name], batch_size=BATCH)
        build_index(PART, options=options, embedder=embedder, vocabulary=Vocabulary(), engine=engine)
    return roots


def _cached(root: Path, embedder: Embedder, texts: list[str]) -> np.ndarray:
    cache = EmbeddingCache(
        root / "cache" / "embeddings.sqlite", model_id=embedder.encoder_id, dimension=embedder.dimension
    )
    try:
        known = cache.get_many([text_hash(t) for t in texts])
    finally:
        cache.close()
    return np.vstack([known[text_hash(t)] for t in texts])


def test_a_ray_build_embeds_every_text_to_the_same_bits_as_a_local_build(
    builds: dict[str, Path], embedder: Embedder
) -> None:
    texts = embedded_texts(
        PART, options=BuildOptions(index=builds["local"]), embedder=embedder, vocabulary=Vocabulary()
    )
    assert len(texts) > 5 * 8 * BATCH  # several chunks, so order and the workers' share are exercised
    local, ray = _cached(builds["local"], embedder, texts), _cached(builds["ray"], embedder, texts)
    assert np.array_equal(local, ray), f"max abs difference {np.abs(local - ray).max()}"


def test_a_ray_build_publishes_the_same_rows_and_answers_the_same(builds: dict[str, Path], embedder: Embedder) -> None:
    opened = {
        name: Recommender.open(Settings(index=root), embedder=embedder, today=lambda: TODAY)
        for name, root in builds.items()
    }
    local, ray = opened["local"].snapshot, opened["ray"].snapshot
    assert list(local.pieces) == list(ray.pieces) and list(local.sentences) == list(ray.sentences)
    assert np.array_equal(local.matrix, ray.matrix)
    every = np.arange(len(local.sentence_vectors))
    assert np.array_equal(local.sentence_vectors[every], ray.sentence_vectors[every])
    assert local.manifest.calibration == ray.manifest.calibration
    for line in (ROOT / "samples" / "deals.jsonl").read_text(encoding="utf-8").splitlines():
        request = json.loads(line)
        del request["id"]
        answers = [opened[name].recommend(parse_request(request)).model_dump(exclude={"index"}) for name in builds]
        assert answers[0] == answers[1]
        assert answers[0]["items"] or answers[0]["gaps"]


def test_a_worker_without_the_drivers_folder_loads_the_encoder_shipped_through_ray(
    embedder: Embedder, ray_local: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a worker unpacks the shipped files
    shipped = replace(WorkerEncoder.of(embedder, ray_local, model=None, threads=1), folder=str(tmp_path / "absent"))
    worker = shipped.load()
    assert worker.folder is not None and worker.folder.parent == tmp_path / "recommender-encoders"
    texts = ["our month-end close takes twelve days", "Is customer data encrypted at rest?"]
    assert worker.model_id == embedder.model_id
    assert np.array_equal(worker.embed(texts), embedder.embed(texts))


def test_the_torch_runtime_loads_the_model_package_on_each_worker(
    torch_embedder: Embedder, ray_local: ModuleType
) -> None:
    texts = [line for line in (ROOT / "samples" / "common-problems.txt").read_text().splitlines() if line][:40]
    chunks = [texts[:16], texts[16:32], texts[32:]]
    local = np.vstack(list(LocalEngine().embed_chunks(torch_embedder, chunks, batch_size=4, progress=lambda n: None)))
    on_ray = RayEngine(workers=2).embed_chunks(torch_embedder, chunks, batch_size=4, progress=lambda n: None)
    ray = np.vstack(list(on_ray))
    assert ray.shape == local.shape == (len(texts), torch_embedder.dimension)
    assert np.abs(ray - local).max() < 1e-5  # torch on 1 thread against its default threads: rounding at most


def test_more_workers_than_the_cluster_has_cpus_is_refused(embedder: Embedder, ray_local: ModuleType) -> None:
    with pytest.raises(RecommenderError, match="more than the 2 CPUs"):
        list(RayEngine(workers=3).embed_chunks(embedder, [["a text"]], batch_size=1, progress=lambda n: None))


def test_without_ray_installed_the_cli_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as without the extra
    result = CliRunner().invoke(app, ["index", str(PART[0]), "--index", str(tmp_path), "--engine", "ray"])
    assert result.exit_code == 1
    assert "needs Ray" in result.output and "buyer-content-recommender[ray]" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "current").exists()


def test_ray_options_without_the_ray_engine_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["index", str(PART[0]), "--index", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 1 and "--workers applies to --engine ray only" in result.output
