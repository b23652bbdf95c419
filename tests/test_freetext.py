"""Recognising stage, roles and industry in a seller's sentence."""

from __future__ import annotations

from pathlib import Path

from indexer.vocabulary import Vocabulary, load_vocabulary
from recommender.freetext import recognise


def test_the_issue_example_is_recognised() -> None:
    found = recognise(
        "CFO at a regional bank worried about implementation risk, comparing us with two vendors", Vocabulary()
    )
    assert found.roles == ("cfo",)
    assert found.industry == "financial-services"
    assert found.stage == "supplier-selection"


def test_aliases_and_several_roles_in_order() -> None:
    found = recognise("The VP Finance and their CISO at a hospital are in a security review", Vocabulary())
    assert found.roles == ("cfo", "it-security")
    assert found.industry == "healthcare"
    assert found.stage == "validation"


def test_everyday_words_do_not_misfire() -> None:
    found = recognise("It is closing time and the demo went well; a user asked about it", Vocabulary())
    assert (found.stage, found.roles, found.industry, found.competitors) == (None, (), None, ())


def test_a_sellers_sentence_is_split_into_problems_and_context() -> None:
    found = recognise(
        "controller at a hospital group evaluating us against Closewise, worried about auditors", Vocabulary()
    )
    assert (found.stage, found.roles, found.industry, found.competitors) == (
        "supplier-selection",
        ("controller",),
        "healthcare",
        ("Closewise",),
    )
    assert found.problems == ("worried about auditors", "how we compare with Closewise")
    assert found.stage_phrase == "evaluating us against"
    assert "hospital" in found.context


def test_stage_words_sellers_use_are_recognised() -> None:
    stages = {
        text: recognise(text, Vocabulary()).stage
        for text in (
            "they are shortlisting two vendors",
            "renewal is in March and usage is low",
            "we need to justify the cost to the board",
            "still evaluating",
        )
    }
    assert stages == {
        "they are shortlisting two vendors": "supplier-selection",
        "renewal is in March and usage is low": "validation",
        "we need to justify the cost to the board": "consensus-creation",
        "still evaluating": "requirements-building",
    }


def test_a_problem_that_names_its_stage_keeps_its_words() -> None:
    assert recognise("we need to justify the cost to the board", Vocabulary()).problems == (
        "need to justify the cost to the board",
    )


def test_an_organisation_vocabulary_adds_aliases(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.yaml"
    path.write_text(
        "stages: {pilot: validation}\nroles: {head of close: controller}\nindustries: {fintech: financial-services}\n",
        encoding="utf-8",
    )
    found = recognise("Head of close at a fintech running a pilot", load_vocabulary(path))
    assert (found.stage, found.roles, found.industry) == ("validation", ("controller",), "financial-services")
