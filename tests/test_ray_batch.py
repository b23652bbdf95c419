"""Batch runs on Ray (recommender/batch_ray.py): the same output file as a local run, resumable the same way,
on a local Ray instance with 2 CPUs over a part of the sample corpus."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from indexer.build import BuildOptions, build_index
from indexer.embed import Embedder
from indexer.vocabulary import Vocabulary
from recommender.cli import app
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.slow

PART = [CORPUS / "roi", CORPUS / "case-studies", CORPUS / "faq", CORPUS / "internal"]
BAD_LINES = [
    "not json",
    '{"id": "no-problem", "problems": []}',
    '{"id": "deal-1001", "problems": ["a repeated id"]}',
    '{"id": "odd-stage", "problems": ["close is slow"], "stage": "lunch"}',
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    root = tmp_path_factory.mktemp("batch-index")
    build_index(PART, options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary())
    return root


@pytest.fixture(scope="module")
def requests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample deals, internal ones too (seller audience), with bad lines among them."""
    deals = (ROOT / "samples" / "deals.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("requests") / "requests.jsonl"
    path.write_text("\n".join([*deals[:6], *BAD_LINES, *deals[6:]]) + "\n", encoding="utf-8")
    return path


def _batch(index: Path, requests: Path, out: Path, *extra: str) -> tuple[int, str]:
    args = ["batch", str(requests), "--index", str(index), "--out", str(out), *extra]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def local_output(index: Path, requests: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("local") / "results.jsonl"
    code, output = _batch(index, requests, out)
    assert code == 1  # the bad lines
    return out, output


def test_a_ray_run_writes_the_same_file_and_reports_the_same_bad_lines(
    index: Path, requests: Path, local_output: tuple[Path, str], tmp_path: Path, ray_local: ModuleType
) -> None:
    out = tmp_path / "results.jsonl"
    code, output = _batch(index, requests, out, "--engine", "ray", "--workers", "2")
    assert code == 1
    assert out.read_bytes() == local_output[0].read_bytes()
    assert len(out.read_text(encoding="utf-8").splitlines()) == 12
    skipped = [line for line in output.splitlines() if line.startswith("skipped")]
    assert skipped == [line for line in local_output[1].splitlines() if line.startswith("skipped")]
    assert len(skipped) == len(BAD_LINES)


def test_a_ray_run_resumes_an_interrupted_file_to_the_same_result(
    index: Path, requests: Path, local_output: tuple[Path, str], tmp_path: Path, ray_local: ModuleType
) -> None:
    whole = local_output[0].read_bytes()
    lines = whole.splitlines(keepends=True)
    out = tmp_path / "results.jsonl"
    out.write_bytes(b"".join(lines[:5]) + lines[5][:80])  # five results and a cut-off sixth
    code, output = _batch(index, requests, out, "--engine", "ray", "--workers", "2", "--resume")
    assert code == 1
    assert "repaired" in output and "5 already in" in output and "7 results written" in output
    assert out.read_bytes() == whole


def test_formatted_output_on_ray_is_the_same_files(
    index: Path, requests: Path, tmp_path: Path, ray_local: ModuleType
) -> None:
    folders = {name: tmp_path / name for name in ("local", "ray")}
    _batch(index, requests, folders["local"], "--format", "markdown")
    _batch(index, requests, folders["ray"], "--format", "markdown", "--engine", "ray")
    files = {name: sorted(p.name for p in folder.iterdir()) for name, folder in folders.items()}
    assert files["local"] == files["ray"] and len(files["local"]) == 12
    for name in files["local"]:
        assert (folders["local"] / name).read_bytes() == (folders["ray"] / name).read_bytes()


def test_a_worker_that_cannot_open_the_index_is_one_clear_error(
    requests: Path, tmp_path: Path, ray_local: ModuleType
) -> None:
    code, output = _batch(tmp_path / "no-index", requests, tmp_path / "out.jsonl", "--engine", "ray")
    assert code == 1
    assert "a Ray worker cannot open the index" in output and "Traceback" not in output
