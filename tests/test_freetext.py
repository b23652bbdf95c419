"""Recognising stage, roles and industry in a seller's sentence."""

from __future__ import annotations

from pathlib import Path

from indexer.vocabulary import Vocabulary, load_vocabulary
from recommender.freetext import recognise


def test_the_issue_example_is_recognised() -> None:
    found = recognise("CFO at a regional bank worried about implementation risk, comparing us with two vendors", Vocabulary())
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
    assert found == type(found)(stage=None, roles=(), industry=None)


def test_an_organisation_vocabulary_adds_aliases(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.yaml"
    path.write_text("stages: {pilot: validation}\nroles: {head of close: controller}\nindustries: {fintech: financial-services}\n", encoding="utf-8")
    found = recognise("Head of close at a fintech running a pilot", load_vocabulary(path))
    assert (found.stage, found.roles, found.industry) == ("validation", ("controller",), "financial-services")
