"""The Recommender core with the real model, real FAISS and the real sample corpus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer.embed import Embedder
from indexer.errors import IndexMissingError, InvalidRequestError
from indexer.settings import Settings
from recommender.models import Recommendation
from recommender.reasons import QUOTE_CHARS
from recommender.service import Recommender, parse_request

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def recommender(corpus_index: Path, embedder: Embedder) -> Recommender:
    return Recommender.open(Settings(index=corpus_index), embedder=embedder, today=lambda: TODAY)


def _ask(recommender: Recommender, **data: object) -> Recommendation:
    return recommender.recommend(parse_request(data))


def _meta(recommender: Recommender, item_id: str):  # type: ignore[no-untyped-def]
    doc = recommender.snapshot.document_index(item_id)
    assert doc is not None
    return recommender.snapshot.documents[doc].meta


def test_a_buyer_gets_only_buyer_facing_unexpired_items(recommender: Recommender) -> None:
    answer = _ask(
        recommender,
        problems=["how do we win against Closewise and TallyBridge", "what discount can you give us", "old price list"],
        max_items=20,
    )
    assert answer.items
    for item in answer.items:
        meta = _meta(recommender, item.id)
        assert meta.audience == "buyer" and not item.internal
        assert not meta.is_expired(TODAY)


def test_a_seller_may_see_internal_items_flagged_as_internal(recommender: Recommender) -> None:
    answer = _ask(
        recommender, problems=["how to handle a competitor that is cheaper than us"], audience="seller", max_items=5
    )
    internal = [item for item in answer.items if item.internal]
    assert internal, "a seller asking about competitors should get the internal battlecards"
    assert all(_meta(recommender, item.id).audience != "buyer" for item in internal)


def test_already_sent_items_are_not_recommended_again(recommender: Recommender) -> None:
    first = _ask(recommender, problems=["intercompany eliminations take days every month"])
    top = first.items[0].id
    again = _ask(recommender, problems=["intercompany eliminations take days every month"], already_sent=[top])
    assert top not in [item.id for item in again.items]


def test_a_near_duplicate_of_an_item_already_sent_is_not_sent(recommender: Recommender) -> None:
    answer = _ask(
        recommender,
        problems=["how do we build the business case and the ROI"],
        already_sent=["roi-guide-2026"],
        max_items=10,
    )
    assert {"roi-guide-2026", "roi-guide-2024"}.isdisjoint(item.id for item in answer.items)


def test_every_item_has_reasons_with_evidence(recommender: Recommender) -> None:
    answer = _ask(
        recommender,
        problems=["month-end close takes twelve days", "auditors want evidence for every reconciliation"],
        stage="validation",
        roles=["controller"],
    )
    for item in answer.items:
        assert 1 <= len(item.reasons) <= 3
        assert item.reasons[0].kind == "problem" and item.reasons[0].evidence.quote
        for reason in item.reasons:
            assert reason.evidence.quote or reason.evidence.tags
            assert reason.evidence.quote is None or len(reason.evidence.quote) <= QUOTE_CHARS
        assert set(item.problems) <= set(answer.recognised.problems)


def test_an_uncovered_problem_is_a_gap_not_padding(recommender: Recommender) -> None:
    answer = _ask(recommender, problems=["we need to run payroll for employees in 14 countries"])
    assert [gap.problem for gap in answer.gaps] == ["we need to run payroll for employees in 14 countries"]
    assert answer.gaps[0].closest is not None and "closest" in answer.gaps[0].message
    assert answer.items == []


def test_a_stage_never_hides_the_only_relevant_item(recommender: Recommender) -> None:
    plain = _ask(recommender, problems=["how does the NetSuite connector authenticate and sync"], max_items=1)
    staged = _ask(
        recommender,
        problems=["how does the NetSuite connector authenticate and sync"],
        stage="consensus-creation",
        max_items=1,
    )
    assert plain.items and staged.items
    assert staged.items[0].id == plain.items[0].id == "impl-netsuite-integration"


def test_types_can_be_included_or_excluded(recommender: Recommender) -> None:
    only = _ask(recommender, problems=["month-end close takes twelve days"], include_types=["case-study"], max_items=5)
    assert only.items and {item.type for item in only.items} == {"case-study"}
    without = _ask(
        recommender, problems=["month-end close takes twelve days"], exclude_types=["case-study"], max_items=5
    )
    assert "case-study" not in {item.type for item in without.items}


def test_per_role_sets_do_not_repeat_items(recommender: Recommender) -> None:
    grouped = recommender.recommend_per_role(
        parse_request(
            {
                "problems": ["what does it cost and how long is the payback", "is our financial data secure"],
                "roles": ["cfo", "it-security", "procurement"],
            }
        )
    )
    ids = [item.id for part in grouped.roles for item in part.recommendation.items]
    assert [part.role for part in grouped.roles] == ["cfo", "it-security", "procurement"]
    assert ids and len(ids) == len(set(ids))
    rows = [recommender.snapshot.document_index(i) for i in ids]
    assert not any(recommender.duplicates.between(a, b) for a in rows for b in rows if a is not None and b is not None)


def test_the_same_request_gives_the_same_answer(recommender: Recommender) -> None:
    data = {
        "problems": ["reconciliations in spreadsheets", "IT needs SSO"],
        "roles": ["controller", "it-security"],
        "stage": "evaluation",
    }
    assert _ask(recommender, **data).model_dump() == _ask(recommender, **data).model_dump()


def test_the_reading_budget_is_kept(recommender: Recommender) -> None:
    answer = _ask(
        recommender,
        problems=["how long does implementation take", "what does it cost", "is our data secure"],
        reading_budget_minutes=6,
        max_items=10,
    )
    assert answer.items
    assert sum(item.reading_minutes for item in answer.items) <= 6


def test_free_text_shows_what_was_recognised(recommender: Recommender) -> None:
    answer = recommender.ask("CFO at a regional bank worried about implementation risk, comparing us with two vendors")
    assert answer.recognised.roles == ["cfo"]
    assert answer.recognised.industry == "financial-services"
    assert answer.recognised.stage == "supplier-selection"
    assert answer.items


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"problems": [""]}, "problems.0", "problem 1 is empty"),
        ({"problems": ["x" * 10_000]}, "problems.0", "10000 characters long"),
        ({"problems": []}, "problems", "no problem given"),
        ({"problems": ["a"] * 11}, "problems", "at most 10"),
        ({"problems": ["a"], "max_items": 21}, "max_items", "max_items"),
        ({"problems": ["a"], "max_items": "3"}, "max_items", 'a whole number such as 3 (a JSON number), not "3"'),
        ({"problems": ["a"], "max_items": True}, "max_items", "(a JSON number), not true"),
        ({"problems": ["a"], "reading_budget_minutes": "10"}, "reading_budget_minutes", 'not "10"'),
        ({"problems": ["a"], "roles": ["cfo", " "]}, "roles.1", "roles.1: empty (or only whitespace)"),
        ({"problems": ["a"], "industry": "  "}, "industry", "industry: empty (or only whitespace)"),
        ({"problems": ["a"], "already_sent": [""]}, "already_sent.0", "empty (or only whitespace)"),
    ],
)
def test_bad_requests_name_the_field(data: dict, field: str, words: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_request(data)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_buyer_is_told_only_of_types_a_buyer_may_see(recommender: Recommender) -> None:
    for audience, told in (("buyer", False), ("seller", True)):
        with pytest.raises(InvalidRequestError) as caught:
            _ask(recommender, problems=["close is slow"], include_types=["nope"], audience=audience)
        assert ("battlecard" in caught.value.hint) is told and "case-study" in caught.value.hint


def test_an_unknown_stage_lists_the_valid_stages_and_aliases(recommender: Recommender) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        _ask(recommender, problems=["close is slow"], stage="onboarding")
    assert "onboarding" in caught.value.message
    assert "supplier-selection" in caught.value.hint and "evaluation -> requirements-building" in caught.value.hint


def test_a_missing_index_says_how_to_build_one(tmp_path: Path, embedder: Embedder) -> None:
    with pytest.raises(IndexMissingError) as caught:
        Recommender.open(Settings(index=tmp_path / "nowhere"), embedder=embedder)
    assert "recommender index" in caught.value.hint
