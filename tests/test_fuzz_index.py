"""Fuzzing the indexer with hypothesis: generated libraries are indexed or their files reported, never a crash.

The bulk reads generated libraries the way a build does, without embedding (tests/fuzz_library.py);
a few are built end to end with the real model and loaded back. benchmarks/fuzz_index.py runs
thousands of cases with the same strategies.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from indexer.build import BuildOptions, build_index
from indexer.embed import Embedder
from indexer.settings import Settings
from indexer.store import load_index
from indexer.vocabulary import Vocabulary
from recommender.service import Recommender, parse_request
from tests.fuzz_library import FUZZ_MAX_BYTES, FuzzFile, check_library, libraries, materialise

GOOD = FuzzFile("good.md", "markdown", b"---\naudience: buyer\n---\n# Month-end close\n\nClose in five days.\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(libraries)
def test_a_fuzzed_library_is_read_or_reported_file_by_file(files: list[FuzzFile]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        materialise(files, Path(tmp) / "library", outside=_outside(Path(tmp)))
        outcome = check_library(files, Path(tmp) / "library")
    assert outcome.documents + outcome.skipped >= sum(1 for f in files if f.kind != "folder" and f.name[0] != ".")


@pytest.mark.slow
@settings(
    max_examples=3,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(files=libraries.map(lambda files: [*files, GOOD] if all(f.name != GOOD.name for f in files) else files))
def test_a_fuzzed_library_builds_loads_and_answers_with_the_real_model(
    files: list[FuzzFile], embedder: Embedder
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        library, index = Path(tmp) / "library", Path(tmp) / "index"
        materialise(files, library, outside=_outside(Path(tmp)))
        options = BuildOptions(index=index, max_file_bytes=FUZZ_MAX_BYTES)
        summary = build_index([library], options=options, embedder=embedder, vocabulary=Vocabulary())
        snapshot = load_index(index, model_id=embedder.model_id)
        assert snapshot.manifest.build_id == summary.build_id and len(snapshot.documents) == summary.documents
        assert summary.documents + summary.skipped >= 1
        recommender = Recommender.open(Settings(index=index), embedder=embedder)
        answer = recommender.recommend(parse_request({"problems": ["month-end close"], "audience": "seller"}))
        assert answer.index.build_id == summary.build_id


def _outside(tmp: Path) -> Path:
    target = tmp / "outside.md"
    target.write_text("# Outside\n\nnot part of the library\n", encoding="utf-8")
    return target
