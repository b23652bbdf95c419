"""recommender.scenarios and `recommender eval --scenarios`: the file format, IDs by id or path, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.errors import RecommenderError
from indexer.store import load_index
from recommender.cli import app
from recommender.scenarios import load_scenarios, resolve_ids

GOOD = """
- id: close
  stage: evaluation
  problems: ["month-end close takes twelve days"]
  relevant: {wp-continuous-close: 2, cs/harbor-point-close.md: 1}
- id: payroll
  stage: awareness
  problems: ["we need to run payroll in 14 countries"]
  relevant: {}
  gap: true
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_exact_format_loads(tmp_path: Path) -> None:
    close, payroll = load_scenarios(_write(tmp_path, GOOD))
    assert close.answerable() == ["month-end close takes twelve days"] and close.unanswerable() == []
    assert (
        payroll.gap
        and payroll.unanswerable() == ["we need to run payroll in 14 countries"]
        and payroll.answerable() == []
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- id: a\n  problems: []\n", "scenario a: problems"),
        (
            "- id: a\n  problems: [x]\n  relevant: {doc: 2}\n  gap: true\n",
            "a 'gap: true' scenario has no relevant items",
        ),
        ("- id: a\n  problems: [x]\n  relevnt: {}\n", "relevnt"),
        ("- id: a\n  problems: [x]\n- id: a\n  problems: [y]\n", "the id is used twice"),
        ("id: a\n", "must hold a non-empty YAML list"),
        ("- id: [unclosed\n", "is not valid YAML"),
    ],
)
def test_a_bad_file_says_what_and_where(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(RecommenderError) as caught:
        load_scenarios(_write(tmp_path, text))
    assert expected in caught.value.message
    assert caught.value.hint


def test_ids_resolve_by_id_or_by_path_with_or_without_md(tmp_path: Path, corpus_index: Path) -> None:
    snapshot = load_index(corpus_index, model_id=None)
    document = next(d for d in snapshot.documents if d.rel_path.count("/") >= 1)
    path = _write(
        tmp_path,
        f"- id: a\n  problems: [x]\n  relevant: {{{document.meta.id}: 1, {document.rel_path}: 2}}\n"
        f"- id: b\n  problems: [y]\n  relevant: {{{document.rel_path[:-3]}: 1}}\n",
    )
    first, second = resolve_ids(load_scenarios(path), snapshot)
    assert first.relevant == {document.meta.id: 2} and second.relevant == {document.meta.id: 1}


def test_an_unknown_id_is_an_error_with_a_suggestion(tmp_path: Path, corpus_index: Path) -> None:
    snapshot = load_index(corpus_index, model_id=None)
    with pytest.raises(RecommenderError) as caught:
        resolve_ids(
            load_scenarios(_write(tmp_path, "- id: a\n  problems: [x]\n  relevant: {roi-guide-2062: 2}\n")), snapshot
        )
    assert (
        "scenario a: 'roi-guide-2062'" in caught.value.message
        and "did you mean 'roi-guide-2026'" in caught.value.message
    )


def test_eval_scenarios_reports_curated_and_plain_search(tmp_path: Path, corpus_index: Path) -> None:
    path = _write(tmp_path, GOOD.replace("cs/harbor-point-close.md", "cs-harbor-point-close"))
    result = CliRunner().invoke(
        app, ["eval", "--scenarios", str(path), "--index", str(corpus_index), "--as-of", "2026-11-27", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scenarios"] == 2 and data["judged"] == 1 and data["audience"] == "buyer"
    assert set(data["curated"]) == {"ndcg_at_5", "send_first_share", "mean_items"}
    assert data["plain_top5"]["mean_items"] == 5.0  # plain search always fills the list, gap or not
    assert data["gaps"]["unanswerable_problems"] == 1 and data["gaps"]["answerable_problems"] == 1
    assert [line["id"] for line in data["per_scenario"]] == ["close", "payroll"]


def test_eval_refuses_both_or_neither_source(corpus_index: Path) -> None:
    result = CliRunner().invoke(app, ["eval"])
    assert result.exit_code != 0 and "exactly one of --dataset" in result.output
