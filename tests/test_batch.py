"""Batch recommendations with the real model over the real sample corpus: bad lines, resume, kills."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.embed import Embedder
from indexer.errors import RecommenderError
from indexer.settings import Settings
from recommender.batch import BatchResult, BatchSummary, prepare_output, read_results, run_batch
from recommender.batch_sinks import JsonLines
from recommender.cli import app
from recommender.service import Recommender, parse_request
from tests.conftest import ROOT

TODAY = dt.date(2026, 11, 27)
DEALS = ROOT / "samples" / "deals.jsonl"
REQUESTS_KILLED = 36


@pytest.fixture(scope="module")
def recommender(corpus_index: Path, embedder: Embedder) -> Recommender:
    return Recommender.open(Settings(index=corpus_index), embedder=embedder, today=lambda: TODAY)


@pytest.fixture(scope="module")
def results(recommender: Recommender, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BatchSummary]:
    """The sample deals answered once; tests copy the file before changing it."""
    out = tmp_path_factory.mktemp("batch") / "results.jsonl"
    return out, _run(recommender, DEALS, out)


def _run(recommender: Recommender, requests: Path, out: Path, *, resume: bool = False) -> BatchSummary:
    state = prepare_output(out, resume=resume)
    with out.open("a", encoding="utf-8") as handle:
        return run_batch(recommender, requests, JsonLines(handle), done=state.done)


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def _deal_ids() -> list[str]:
    return [json.loads(line)["id"] for line in DEALS.read_text(encoding="utf-8").splitlines()]


def test_every_request_gets_one_result_line_with_its_id_in_input_order(
    recommender: Recommender, results: tuple[Path, BatchSummary]
) -> None:
    out, summary = results
    assert summary.written == summary.lines == 12 and not summary.bad
    assert _ids(out) == _deal_ids()
    first = BatchResult.model_validate_json(out.read_text(encoding="utf-8").splitlines()[0])
    request = json.loads(DEALS.read_text(encoding="utf-8").splitlines()[0])
    del request["id"]
    assert first.recommendation == recommender.recommend(
        parse_request(request)
    )  # the same answer as one recommend call


def test_bad_lines_are_reported_with_their_line_number_and_the_rest_completes(
    recommender: Recommender, tmp_path: Path
) -> None:
    lines = [
        '{"id": "a", "problems": ["month-end close takes twelve days"]}',
        '{"id": "b", "problems": ["reconciliations in spreadsheets"]',  # 2: cut-off JSON
        '["not", "an", "object"]',  # 3
        '{"problems": ["no id here"]}',  # 4
        '{"id": "c", "problems": []}',  # 5: invalid request
        '{"id": "d", "problems": ["close is slow"], "stage": "lunch"}',  # 6: unknown stage
        '{"id": "a", "problems": ["the same id again"]}',  # 7
        "",  # 8: blank lines are not requests
        '{"id": 9, "problems": ["intercompany eliminations take days"], "roles": ["controller"]}',
    ]
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    summary = _run(recommender, requests, out)
    assert [(b.line, b.id) for b in summary.bad] == [(2, None), (3, None), (4, None), (5, "c"), (6, "d"), (7, "a")]
    assert "no problem given" in summary.bad[3].message and "unknown stage 'lunch'" in summary.bad[4].message
    assert "line 1" in summary.bad[5].message
    assert _ids(out) == ["a", 9] and summary.written == 2 and summary.lines == 8


def test_resume_skips_done_ids_and_repairs_a_cut_off_last_line(
    recommender: Recommender, results: tuple[Path, BatchSummary], tmp_path: Path
) -> None:
    data = results[0].read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 40  # five and a half results: the sixth was being written
    interrupted = tmp_path / "interrupted.jsonl"
    interrupted.write_bytes(data[:cut])
    state = prepare_output(interrupted, resume=True)
    assert state.repaired_tail and len(state.done) == data[:cut].count(b"\n")
    with interrupted.open("a", encoding="utf-8") as handle:
        summary = run_batch(recommender, DEALS, JsonLines(handle), done=state.done)
    assert summary.already_done == len(state.done) and summary.written == 12 - len(state.done)
    assert interrupted.read_bytes() == data  # nothing lost, nothing written twice, same answers


def test_an_existing_output_is_never_overwritten_without_resume(
    recommender: Recommender, results: tuple[Path, BatchSummary], tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    out.write_bytes(results[0].read_bytes())
    with pytest.raises(RecommenderError, match="already holds results"):
        prepare_output(out, resume=False)
    again = _run(recommender, DEALS, out, resume=True)
    assert again.written == 0 and again.already_done == 12 and len(_ids(out)) == 12


def test_read_results_lists_damaged_lines(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(
        '{"id": "x", "recommendation": {"items": [{"id": "roi-guide-2026"}]}}\nnot json\n{"id": "y", "recomm',
        encoding="utf-8",
    )
    found = read_results(path)
    assert found.ids == {"x"} and found.picked == {"roi-guide-2026"} and found.damaged == (2, 3) and found.partial_tail


@pytest.mark.slow
def test_a_run_killed_mid_write_resumes_without_losing_or_repeating_a_result(
    corpus_index: Path, tmp_path: Path
) -> None:
    requests = tmp_path / "many.jsonl"
    base = DEALS.read_text(encoding="utf-8").splitlines()
    with requests.open("w", encoding="utf-8") as handle:
        for n in range(REQUESTS_KILLED):
            data = json.loads(base[n % len(base)])
            handle.write(json.dumps({**data, "id": f"deal-{n}"}) + "\n")
    out = tmp_path / "results.jsonl"
    command = [
        sys.executable,
        "-c",
        "from recommender.cli import main; main()",
        "batch",
        str(requests),
        "--out",
        str(out),
        "--index",
        str(corpus_index),
    ]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while (
        (not out.exists() or out.read_bytes().count(b"\n") < 3)
        and time.monotonic() < deadline
        and process.poll() is None
    ):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = out.read_bytes().count(b"\n")
    assert 3 <= written < REQUESTS_KILLED, "the run should have been killed part-way"
    resumed = subprocess.run([*command, "--resume"], check=False, capture_output=True, text=True, env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    ids = _ids(out)
    assert sorted(ids) == sorted(f"deal-{n}" for n in range(REQUESTS_KILLED)) and len(ids) == len(set(ids))
    assert "already in" in resumed.stderr


def test_the_batch_command_reports_bad_lines_and_exits_non_zero(corpus_index: Path, tmp_path: Path) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_text('{"id": "ok", "problems": ["close takes too long"]}\n{oops\n', encoding="utf-8")
    out = tmp_path / "results.jsonl"
    result = CliRunner().invoke(app, ["batch", str(requests), "--out", str(out), "--index", str(corpus_index)])
    assert result.exit_code == 1
    assert "line 2" in result.output and "not valid JSON" in result.output
    assert _ids(out) == ["ok"]


def test_resume_needs_an_output_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["batch", str(DEALS), "--resume"])
    assert result.exit_code == 2 and "--out" in result.output
