"""`recommender recommend` and `recommender ask` as a user runs them (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "from recommender.cli import main; main()"]


def run(*args: str, index: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--index", str(index)] if index is not None else []
    return subprocess.run([*CLI, *args, *extra], capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_json_output_is_the_recommendation_and_nothing_else(corpus_index: Path) -> None:
    result = run(
        "recommend",
        "--problem",
        "month-end close takes twelve days",
        "--problem",
        "we must run payroll in 14 countries",
        "--stage",
        "awareness",
        "--role",
        "cfo",
        "--max-items",
        "3",
        "--json",
        index=corpus_index,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"items", "gaps", "trimmed", "recognised", "index", "deal"} and answer["deal"] is None
    assert 1 <= len(answer["items"]) <= 3
    item = answer["items"][0]
    assert {
        "id",
        "title",
        "type",
        "url",
        "source_path",
        "section",
        "reading_minutes",
        "score",
        "problems",
        "reasons",
    } <= set(item)
    assert {"kind", "text", "evidence"} <= set(item["reasons"][0])
    assert answer["recognised"]["stage"] == "problem-identification"
    assert [gap["problem"] for gap in answer["gaps"]] == ["we must run payroll in 14 countries"]


@pytest.mark.slow
def test_human_output_shows_items_reasons_and_gaps(corpus_index: Path) -> None:
    result = run("ask", "Controller at a hospital group, reconciliations in spreadsheets take days", index=corpus_index)
    assert result.returncode == 0, result.stderr
    assert "Recognised:" in result.stdout and "controller" in result.stdout and "healthcare" in result.stdout
    assert "1. " in result.stdout and "Addresses" in result.stdout


@pytest.mark.slow
def test_an_unknown_stage_is_a_clear_error(corpus_index: Path) -> None:
    result = run("recommend", "--problem", "close is slow", "--stage", "onboarding", index=corpus_index)
    assert result.returncode == 1
    assert "unknown stage 'onboarding'" in result.stderr and "valid stages:" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["recommend", "--problem", ""], "problem 1 is empty"),
        (["recommend", "--problem", "x" * 10_000], "10000 characters long"),
        (["recommend", "--problem", "a", "--max-items", "50"], "max_items"),
    ],
)
def test_bad_input_fails_fast_with_a_message(args: list[str], words: str, tmp_path: Path) -> None:
    result = run(*args, index=tmp_path)
    assert result.returncode == 1
    assert words in result.stderr and "Traceback" not in result.stderr


def test_a_missing_index_says_to_run_recommender_index(tmp_path: Path) -> None:
    result = run("recommend", "--problem", "close is slow", index=tmp_path / "none")
    assert result.returncode == 1
    assert "no index at" in result.stderr and "recommender index" in result.stderr
    assert "Traceback" not in result.stderr
