"""The eval path end to end on a tiny handmade BEIR collection, with metric values worked out by hand."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from indexer.build import BuildOptions
from indexer.errors import RecommenderError
from indexer.keyword import KeywordConfig
from indexer.parse import parse_markdown
from recommender.cli import app
from recommender.evaluation import (
    BeirDocument,
    EvalReport,
    evaluate,
    file_name,
    prepare_index,
    read_collection,
    score,
    to_markdown,
)

from .conftest import EVALDATA

ODD_ID = "doc/6 ü*"
CORPUS = [
    {
        "_id": "d1",
        "title": "Photosynthesis in plants",
        "text": "Chlorophyll in leaves absorbs sunlight and converts carbon dioxide and water into glucose and oxygen.",
    },
    {
        "_id": "d2",
        "title": "Volcanic eruptions",
        "text": "Magma rises through the crust and erupts as lava, ash and volcanic gases.",
    },
    {
        "_id": "d3",
        "title": "Sourdough baking",
        "text": (
            "Wild yeast and lactobacilli ferment the dough, "
            "which gives sourdough bread its tangy flavour and open crumb."
        ),
    },
    {
        "_id": "d4",
        "title": "Bread flour",
        "text": "High-protein flour develops gluten; the dough is kneaded and baked in a hot oven.",
    },
    {
        "_id": "d5",
        "title": "Bicycle maintenance",
        "text": "Clean the chain, lubricate it with oil and adjust the derailleur so the gears shift smoothly.",
    },
    {
        "_id": ODD_ID,
        "title": "Tea & <coffee>",
        "text": "*Caffeine* [notes]: 1. brewing time and water temperature change how bitter tea tastes.",
    },
]
QUERIES = {
    "q1": "how do plants turn sunlight into glucose",
    "q2": "why does sourdough bread taste tangy",
    "q3": "how to lubricate a bicycle chain",
    "q4": "lava from a volcano",  # judged only in the train split
    "q5": "does brewing time make tea bitter",
}
TEST_QRELS = [
    ("q1", "d1", 1),
    ("q2", "d3", 2),
    ("q2", "d4", 0),
    ("q3", "d5", 1),
    ("q3", "not-in-corpus", 1),
    ("q5", ODD_ID, 1),
]

# Every query's relevant document is the obvious first hit for each method, so by hand:
#   q1, q2, q5: nDCG@10 = Recall@100 = MRR@10 = 1 (d4 in q2 has grade 0: not relevant)
#   q3: one of two relevant documents found, at rank 1: nDCG@10 = 1 / (1 + 1/log2(3)), Recall@100 = 1/2, MRR@10 = 1
EXPECTED_NDCG = (3 + 1 / (1 + 1 / math.log2(3))) / 4  # 0.9033
EXPECTED_RECALL = (3 + 0.5) / 4
EXPECTED_MRR = 1.0


def write_collection(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in CORPUS), encoding="utf-8")
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items()), encoding="utf-8"
    )
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{g}\n" for q, d, g in TEST_QRELS), encoding="utf-8"
    )
    (folder / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq4\td2\t1\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_collection(tmp_path_factory.mktemp("beir") / "tiny")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eval-cache")


@pytest.fixture(scope="module")
def report(tiny: Path, cache: Path, embedder) -> EvalReport:
    return evaluate(tiny, embedder=embedder, cache=cache)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["dense", "keyword", "hybrid"])
def test_each_method_scores_as_worked_out_by_hand(report: EvalReport, method: str) -> None:
    scores = report.methods[method]
    assert scores.ndcg_at_10 == pytest.approx(EXPECTED_NDCG, abs=1e-4)
    assert scores.recall_at_100 == pytest.approx(EXPECTED_RECALL, abs=1e-4)
    assert scores.mrr_at_10 == pytest.approx(EXPECTED_MRR, abs=1e-4)


@pytest.mark.slow
def test_run_details_describe_the_index_that_was_searched(report: EvalReport) -> None:
    run = report.run
    assert (run.split, run.queries, run.documents, run.index_reused) == ("test", 4, 6, False)
    assert run.pieces == 6 and run.pieces_embedded == 6
    assert set(run.query_seconds) == {"dense", "keyword", "hybrid"}
    assert run.fusion["method"] in ("convex", "rrf")


@pytest.mark.slow
def test_a_second_run_reuses_the_cached_index(report: EvalReport, tiny: Path, cache: Path, embedder) -> None:
    again = evaluate(tiny, embedder=embedder, cache=cache, methods=("keyword",))
    assert again.run.index_reused and again.run.pieces_embedded == 0
    assert again.methods["keyword"] == report.methods["keyword"]


@pytest.mark.slow
def test_an_option_change_rebuilds_without_embedding_again(
    report: EvalReport, tiny: Path, cache: Path, tmp_path: Path, embedder
) -> None:
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy, symlinks=True)
    prepared = prepare_index(
        read_collection(tiny),
        cache=copy,
        embedder=embedder,
        build=BuildOptions(index=Path(), keyword=KeywordConfig(k1=1.2)),
    )
    assert not prepared.reused and prepared.embedded == 0


@pytest.mark.slow
def test_the_train_split_has_its_own_queries(tiny: Path, cache: Path, embedder) -> None:
    train = evaluate(tiny, embedder=embedder, cache=cache, split="train", methods=("hybrid",))
    assert train.run.queries == 1
    assert train.methods["hybrid"].ndcg_at_10 == pytest.approx(1.0)


def test_score_matches_metrics_computed_by_hand() -> None:
    qrels = {"a": {"x": 2, "y": 1, "z": 0}, "b": {"w": 1}}
    ranking = {"a": ["z", "y", "x", "v"]}  # "b" got no answer at all
    scores = score(qrels, ranking)
    dcg = 0 / math.log2(2) + 1 / math.log2(3) + 2 / math.log2(4)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert scores.ndcg_at_10 == pytest.approx((dcg / ideal + 0) / 2, abs=1e-4)
    assert scores.recall_at_100 == pytest.approx((1 + 0) / 2)
    assert scores.mrr_at_10 == pytest.approx((1 / 2 + 0) / 2)


def test_score_keeps_the_given_order_and_cuts_at_ten() -> None:
    qrels = {"a": {"r": 1}}
    assert score(qrels, {"a": [f"n{i}" for i in range(10)] + ["r"]}).mrr_at_10 == 0
    assert score(qrels, {"a": [f"n{i}" for i in range(10)] + ["r"]}).recall_at_100 == 1
    assert score(qrels, {"a": ["n0", "r"]}).ndcg_at_10 == pytest.approx(1 / math.log2(3), abs=1e-4)


def test_read_collection_keeps_judged_queries_of_the_split(tiny: Path) -> None:
    test = read_collection(tiny)
    assert sorted(test.queries) == ["q1", "q2", "q3", "q5"]
    assert test.qrels["q2"] == {"d3": 2, "d4": 0}
    assert [d.id for d in test.documents] == [d["_id"] for d in CORPUS]
    assert list(read_collection(tiny, split="train").queries) == ["q4"]


def test_read_collection_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(RecommenderError, match="queries.jsonl is missing"):
        (tmp_path / "corpus.jsonl").write_text("{}\n")
        read_collection(tmp_path)


def test_file_names_are_safe_for_any_id() -> None:
    assert file_name("4983") == "4983.md"
    assert file_name("MED-10") == "MED-10.md"
    odd = file_name(ODD_ID)
    assert odd.endswith(".md") and "/" not in odd and odd != file_name("doc/6 u*")


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(st.characters(min_codepoint=32, max_codepoint=0x17F, exclude_categories=("Cc", "Cs"))),
    text=st.text(
        st.characters(min_codepoint=32, max_codepoint=0x17F, exclude_categories=("Cc", "Cs")), min_size=1
    ).filter(str.strip),
)
def test_markdown_is_read_back_as_written(title: str, text: str) -> None:
    parsed = parse_markdown(to_markdown(BeirDocument("x-1", title, text)))
    assert parsed.front_matter == {"id": "x-1"}
    assert parsed.first_heading == (" ".join(title.split()) or None)
    assert [s.text for s in parsed.sections if s.text] == [" ".join(text.split())]


@pytest.mark.slow
def test_cli_json_prints_only_json_shaped_by_method(report: EvalReport, tiny: Path, cache: Path) -> None:
    result = CliRunner().invoke(
        app, ["eval", "--dataset", str(tiny), "--cache", str(cache), "--method", "keyword", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"keyword", "run"}
    assert set(data["keyword"]) == {"ndcg@10", "recall@100", "mrr@10"}
    assert data["keyword"]["ndcg@10"] == pytest.approx(EXPECTED_NDCG, abs=1e-4)
    assert data["run"]["index_reused"] is True


@pytest.mark.slow
def test_cli_table_and_bad_method(report: EvalReport, tiny: Path, cache: Path) -> None:
    table = CliRunner().invoke(app, ["eval", "--dataset", str(tiny), "--cache", str(cache), "--method", "dense"])
    assert table.exit_code == 0, table.output
    assert "nDCG@10" in table.stdout and f"{EXPECTED_NDCG:.4f}" in table.stdout
    bad = CliRunner().invoke(app, ["eval", "--dataset", str(tiny), "--method", "fuzzy"])
    assert bad.exit_code == 2 and "fuzzy" in bad.output


@pytest.mark.skipif(not (EVALDATA / "scifact").is_dir(), reason="../shared/evaldata/scifact is absent")
def test_scifact_reads_as_published() -> None:
    collection = read_collection(EVALDATA / "scifact")
    assert len(collection.documents) == 5183
    assert len(collection.queries) == 300
    assert sum(len(j) for j in collection.qrels.values()) == 339
