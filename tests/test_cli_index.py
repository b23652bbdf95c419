"""`recommender index` through the real console command, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.embed import Embedder
from indexer.store import load_index

RECOMMENDER = Path(sys.executable).parent / "recommender"

pytestmark = pytest.mark.slow

GOOD = {
    "case-studies/acme.md": (
        "---\nid: cs-acme\ntitle: Acme closes in three days\naudience: buyer\n---\n"
        "# Acme\n\nAcme cut its close from ten days to three.\n"
    ),
    "faq/pricing.md": (
        "---\nid: faq-pricing\naudience: buyer\n---\n"
        "# Pricing FAQ\n\nPricing is per legal entity.\n\n## Discounts\n\nMulti-year terms are discounted.\n"
    ),
    "internal/notes.md": "# Win notes\n\nBuyers liked the audit trail.\n",
}


def write_corpus(folder: Path, docs: dict[str, str | bytes]) -> Path:
    for rel, data in docs.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return folder


def recommender(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script with a clean RECOMMENDER_* environment and a wide terminal."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
    environ.update({"COLUMNS": "1000", **(env or {})})
    return subprocess.run(
        [str(RECOMMENDER), *map(str, args)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def shared(exports: Path, embedder: Embedder) -> dict[str, str]:
    """The session's ONNX export, so a run here does not export the model again (the first test keeps the default)."""
    return {"RECOMMENDER_ENCODER_CACHE": str(exports)}


def test_json_summary_is_the_only_thing_on_stdout(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", GOOD)
    index = tmp_path / "index"

    first = recommender("index", corpus, "--index", index, "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)  # fails on anything but one JSON document
    assert summary["documents"] == 3 and summary["added"] == 3
    assert summary["pieces"] == summary["pieces_embedded"] == 4
    assert summary["index"] == str(index)
    assert summary["issues"] == []
    assert "Traceback" not in first.stderr
    manifest = load_index(index, model_id=None).manifest
    assert manifest.build_id == summary["build_id"]
    assert (manifest.encoder.runtime, manifest.encoder.precision, manifest.encoder.folder) == (
        "onnx",
        "fp32",
        "encoder",
    )
    assert (
        index / "cache" / "encoders" / manifest.encoder.fingerprint / "model.onnx"
    ).is_file()  # exported once, kept for the next build


def test_bad_files_are_reported_on_stderr_and_the_rest_indexed(tmp_path: Path, shared: dict[str, str]) -> None:
    corpus = write_corpus(
        tmp_path / "corpus",
        {
            **GOOD,
            "legacy/latin1.md": "# Caf\xe9 notes\n\nold export\n".encode("latin-1"),
            "legacy/empty.md": b"",
            "legacy/stage.md": "---\nstages: [someday]\n---\n# Stage\n\nText.\n",
        },
    )
    result = recommender("index", corpus, "--index", tmp_path / "index", cwd=tmp_path, env=shared)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert any(line.startswith("skipped legacy/latin1.md:1: not UTF-8 text") for line in lines)
    assert "    fix: re-save the file as UTF-8" in lines
    assert any(line.startswith("skipped legacy/empty.md: empty file") for line in lines)
    assert any(line.startswith("warning legacy/stage.md:2: unknown stage 'someday'") for line in lines)
    assert "Indexed 4 documents" in result.stderr and "2 skipped" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(d.rel_path for d in load_index(tmp_path / "index", model_id=None).documents) == [
        "case-studies/acme.md",
        "faq/pricing.md",
        "internal/notes.md",
        "legacy/stage.md",
    ]


def test_strict_exits_non_zero_and_publishes_nothing(tmp_path: Path, shared: dict[str, str]) -> None:
    corpus = write_corpus(tmp_path / "corpus", {**GOOD, "stage.md": "---\nstages: [someday]\n---\n# Stage\n\nText.\n"})
    result = recommender("index", corpus, "--index", tmp_path / "index", "--strict", "--json", cwd=tmp_path, env=shared)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "nothing was published (--strict)" in result.stderr
    assert "stage.md:2: unknown stage 'someday'" in result.stderr  # the problem is named, not only counted
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "index" / "current").exists()


def test_a_missing_path_is_one_clear_error_without_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = recommender("index", missing, "--index", tmp_path / "index", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert f"{missing}: path does not exist" in result.stderr
    assert len(result.stderr.splitlines()) <= 4


def test_the_recommender_index_variable_is_honoured(tmp_path: Path, shared: dict[str, str]) -> None:
    corpus = write_corpus(tmp_path / "corpus", GOOD)
    index = tmp_path / "from-env"
    result = recommender("index", corpus, "--json", cwd=tmp_path, env={"RECOMMENDER_INDEX": str(index), **shared})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["index"] == str(index)
    assert len(load_index(index, model_id=None).documents) == 3
    assert not (tmp_path / ".recommender").exists()  # not the default location
