"""docs/cli.md is generated from the commands' own help and must be current."""

from __future__ import annotations

from recommender.cli.helpdoc import DOC, render


def test_the_cli_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/cli.md is out of date: run python -m recommender.cli.helpdoc"
    )


def test_the_reference_covers_every_command() -> None:
    text = render()
    for command in ("index", "recommend", "ask", "eval", "serve", "audit", "batch", "keys create"):
        assert f"## recommender {command}\n" in text
