"""`--format text|markdown|email|json` through the real CLI (real processes, stdout a pipe) on the sample corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

CLI = [sys.executable, "-c", "from recommender.cli import main; main()"]
DEALS = ROOT / "samples" / "deals.jsonl"
# A seller preparing a call: the answer mixes buyer-facing and internal items, and one problem is a gap.
SELLER_REQUEST = [
    "recommend",
    "--problem",
    "a competitor is cheaper than us",
    "--problem",
    "month-end close takes twelve days",
    "--problem",
    "we need to automate payroll for 14 countries",
    "--stage",
    "negotiation",
    "--role",
    "cfo",
    "--audience",
    "seller",
    "--max-items",
    "4",
]


def run(*args: str, index: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *args, "--index", str(index)], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def seller_answer(corpus_index: Path) -> dict[str, Any]:
    result = run(*SELLER_REQUEST, "--format", "json", index=corpus_index)
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    internal = [item for item in answer["items"] if item["internal"]]
    buyer = [item for item in answer["items"] if not item["internal"]]
    assert internal and buyer and answer["gaps"], "the request must give internal and buyer items and a gap"
    return answer


@pytest.mark.slow
def test_piped_text_has_no_panel_and_never_wraps_a_quote(corpus_index: Path, seller_answer: dict[str, Any]) -> None:
    result = run(*SELLER_REQUEST, index=corpus_index)
    assert result.returncode == 0, result.stderr
    assert not any(ch in result.stdout for ch in "╭╮╰╯│─")
    lines = result.stdout.splitlines()
    quotes = [r["evidence"]["quote"] for i in seller_answer["items"] for r in i["reasons"] if r["evidence"]["quote"]]
    assert any(len(q) > 100 for q in quotes)  # long enough that an 80-column wrap would have cut it
    for quote in quotes:
        assert f"     “{quote}”" in lines
    for gap in seller_answer["gaps"]:
        assert f"gap {gap['message']}" in lines
    assert "INTERNAL - do not send" in result.stdout


@pytest.mark.slow
def test_email_is_a_note_to_the_buyer_without_anything_internal(
    corpus_index: Path, seller_answer: dict[str, Any]
) -> None:
    result = run(*SELLER_REQUEST, "--format", "email", index=corpus_index)
    assert result.returncode == 0, result.stderr
    note = result.stdout
    assert note.startswith("Hello,\n\n")
    for item in seller_answer["items"]:
        if item["internal"]:
            assert item["title"] not in note and item["url"] not in note
        else:
            assert f"{item['title']} - {item['url']}" in note
    for seller_talk in ("Addresses", "score", "INTERNAL", "Nothing in the library", "left out", "closest"):
        assert seller_talk not in note
    assert 'On "we need to automate payroll for 14 countries", I will come back to you separately.' in note


@pytest.mark.slow
def test_markdown_is_the_sellers_view(corpus_index: Path, seller_answer: dict[str, Any]) -> None:
    result = run(*SELLER_REQUEST, "--format", "markdown", index=corpus_index)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("## Recommendation\n\nRecognised: for seller; stage supplier-selection")
    for number, item in enumerate(seller_answer["items"], start=1):
        assert f"{number}. **" in text and f"`{item['id']}`, score {item['score']:.2f})" in text
    assert text.count("**INTERNAL - do not send**") == sum(item["internal"] for item in seller_answer["items"])
    assert "**Gaps**" in text and "   - Addresses" in text and "     > " in text


@pytest.mark.slow
def test_ask_and_per_role_take_a_format(corpus_index: Path) -> None:
    ask = run(
        "ask",
        "Controller at a hospital group, reconciliations in spreadsheets take days",
        "-f",
        "email",
        index=corpus_index,
    )
    assert ask.returncode == 0, ask.stderr
    assert ask.stdout.startswith("Hello,") and "It speaks to" in ask.stdout
    grouped = run(
        "recommend", "--problem", "month-end close takes twelve days", "--role", "cfo", "--role", "it-security",
        "--per-role", "--format", "markdown", index=corpus_index,
    )  # fmt: skip
    assert grouped.returncode == 0, grouped.stderr
    assert "## For the cfo\n" in grouped.stdout and "## For the it-security\n" in grouped.stdout


def test_json_and_another_format_disagree(tmp_path: Path) -> None:
    result = run("recommend", "--problem", "close is slow", "--json", "--format", "markdown", index=tmp_path)
    assert result.returncode == 2
    assert "--json means --format json, not --format markdown" in result.stderr
    bad = run("recommend", "--problem", "close is slow", "--format", "pdf", index=tmp_path)
    assert bad.returncode == 2 and "'pdf' is not one of" in bad.stderr


@pytest.mark.slow
def test_batch_email_writes_one_note_per_deal_and_resumes(corpus_index: Path, tmp_path: Path) -> None:
    deals = DEALS.read_text(encoding="utf-8").splitlines()
    requests = tmp_path / "deals.jsonl"
    requests.write_text("\n".join([*deals[:3], '{"id": "../escape", "problems": ["close is slow"]}']) + "\n")
    notes = tmp_path / "notes"
    first = run("batch", str(requests), "--format", "email", "--out", str(notes), index=corpus_index)
    assert first.returncode == 1  # one bad line, the rest completes
    assert "skipped line 4 (id '../escape'): id '../escape' cannot name a file" in first.stderr
    assert sorted(p.name for p in notes.iterdir()) == ["deal-1001.txt", "deal-1002.txt", "deal-1003.txt"]
    assert not (tmp_path / "escape.txt").exists()
    note = (notes / "deal-1001.txt").read_text(encoding="utf-8")
    assert note.startswith("Hello,\n\n") and "https://" in note and "Addresses" not in note

    (notes / "deal-1003.txt").unlink()  # as if the run had stopped before the third deal
    refused = run("batch", str(requests), "--format", "email", "--out", str(notes), index=corpus_index)
    assert refused.returncode == 1 and "already holds 2 result(s)" in refused.stderr
    resumed = run("batch", str(requests), "--format", "email", "--out", str(notes), "--resume", index=corpus_index)
    assert "1 results written, 2 already in" in resumed.stderr
    assert (notes / "deal-1001.txt").read_text(encoding="utf-8") == note
    assert (notes / "deal-1003.txt").is_file()


@pytest.mark.slow
def test_batch_markdown_on_stdout_heads_each_result_with_its_id(corpus_index: Path, tmp_path: Path) -> None:
    requests = tmp_path / "deals.jsonl"
    requests.write_text("\n".join(DEALS.read_text(encoding="utf-8").splitlines()[:2]) + "\n")
    result = run("batch", str(requests), "--format", "markdown", index=corpus_index)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# deal-1001\n\n## Recommendation\n")
    assert "\n# deal-1002\n\n## Recommendation\n" in result.stdout
