"""The email-ready note to the buyer: their problems and the links, nothing internal, no wraps."""

from __future__ import annotations

import pytest

from recommender.buyer_note import buyer_note
from recommender.models import (
    Closest,
    Evidence,
    Gap,
    IndexInfo,
    Reason,
    Recognised,
    Recommendation,
    RecommendedItem,
    SectionRef,
    Trimmed,
)

CLOSE = "month-end close takes twelve days"
AUDIT = "auditors want evidence for every reconciliation"
PAYROLL = "we need to automate payroll for 14 countries"
QUOTE = "A 12-day close means management sees the month's results halfway through the next month."


def item(
    item_id: str,
    title: str,
    *,
    url: str | None = None,
    internal: bool = False,
    problems: tuple[str, ...] = (CLOSE,),
    quote: str | None = QUOTE,
    minutes: int = 2,
    item_minutes: int = 9,
) -> RecommendedItem:
    return RecommendedItem(
        id=item_id,
        title=title,
        type="whitepaper",
        url=url,
        source_path=f"library/{item_id}.md",
        internal=internal,
        section=SectionRef(heading="Late numbers, slower decisions", heading_path=[title], reading_minutes=minutes),
        reading_minutes=minutes,
        item_reading_minutes=item_minutes,
        score=3.4567,
        problems=list(problems),
        roles=["cfo"],
        stages=["problem-identification"],
        reasons=[
            Reason(
                kind="problem",
                text=f'Addresses "{problems[0] if problems else CLOSE}" - see "Late numbers".',
                evidence=Evidence(quote=quote, section="Late numbers"),
            ),
            Reason(
                kind="stage",
                text="Made for buyers identifying the problem (problem-identification), where this buyer is.",
                evidence=Evidence(tags=["stage:problem-identification"]),
            ),
        ],
    )


def answer(*items: RecommendedItem, gaps: tuple[str, ...] = ()) -> Recommendation:
    return Recommendation(
        items=list(items),
        gaps=[
            Gap(
                problem=p,
                message=f'Nothing in the library answers "{p}" well; the closest is "Seller battlecard".',
                closest=Closest(id="bc-secret", title="Seller battlecard", similarity=0.9),
            )
            for p in gaps
        ],
        trimmed=[Trimmed(id="cs-other", title="Another case study", reason="max-items", detail="left out")],
        recognised=Recognised(
            problems=[CLOSE, AUDIT, PAYROLL],
            stage="problem-identification",
            stage_given="awareness",
            related_stages=[],
            roles=["cfo"],
            industry=None,
            audience="seller",
        ),
        index=IndexInfo(build_id="b1", built_at="2026-11-30T08:00:00Z", documents=68),
    )


WHITEPAPER = item(
    "wp-close", "The hidden cost of the spreadsheet close", url="https://example.com/close", problems=(CLOSE, AUDIT)
)
BATTLECARD = item("bc-secret", "Seller battlecard: beating Closewise", url="https://intranet.example/bc", internal=True)


@pytest.mark.parametrize("style", ["text", "markdown"])
def test_each_item_has_its_title_link_minutes_and_the_buyers_problems(style: str) -> None:
    note = buyer_note(
        answer(WHITEPAPER, item("cs-bank", "How a bank closed in six days", url="https://ex.com/b")), style
    )  # type: ignore[arg-type]
    assert note.startswith("Hello,\n\n")
    assert "2 short reads" in note and "about 4 min in all" in note
    assert "The hidden cost of the spreadsheet close" in note and "https://example.com/close" in note
    assert "How a bank closed in six days" in note and "https://ex.com/b" in note
    assert f'"{CLOSE}" and "{AUDIT}"' in note
    assert "Late numbers, slower decisions" in note and "(2 min)" in note
    assert "halfway through the next month" in note
    assert note.rstrip().endswith("just reply to this email.")


@pytest.mark.parametrize("style", ["text", "markdown"])
def test_nothing_internal_or_seller_facing_reaches_the_note(style: str) -> None:
    note = buyer_note(answer(WHITEPAPER, BATTLECARD, gaps=(PAYROLL,)), style)  # type: ignore[arg-type]
    for secret in ("battlecard", "Closewise", "intranet.example", "bc-secret", "wp-close", "library/"):
        assert secret.lower() not in note.lower()
    for seller_talk in (
        "Addresses",
        "score",
        "3.45",
        "Made for buyers",
        "Nothing in the library",
        "closest",
        "left out",
    ):
        assert seller_talk not in note
    assert "Here is one short read on what you raised, about 2 min:" in note
    assert f'On "{PAYROLL}", I will come back to you separately.' in note.replace("\\", "")


def test_only_internal_items_is_a_note_without_items() -> None:
    note = buyer_note(answer(BATTLECARD, gaps=(PAYROLL,)), "text")
    assert "Seller battlecard" not in note and "https://" not in note
    assert "I do not have a short read that fits what you raised yet" in note
    assert PAYROLL not in note  # the follow-up promise is in the opening; no list of what the library lacks


@pytest.mark.parametrize("style", ["text", "markdown"])
def test_no_items(style: str) -> None:
    note = buyer_note(answer(), style)  # type: ignore[arg-type]
    assert note == (
        "Hello,\n\nThank you for the conversation. I do not have a short read that fits what you raised yet, "
        "so I will come back to you on it directly.\n\n"
        "Happy to talk it through in the meantime - just reply to this email.\n"
    )


def test_an_item_without_url_is_named_without_a_link_or_its_library_path() -> None:
    text = buyer_note(answer(item("cs-no-url", "Harbor Point cuts its close in half")), "text")
    markdown = buyer_note(answer(item("cs-no-url", "Harbor Point cuts its close in half")), "markdown")
    assert "1. Harbor Point cuts its close in half\n" in text
    assert "1. **Harbor Point cuts its close in half**" in markdown and "](" not in markdown
    for note in (text, markdown):
        assert "library/cs-no-url.md" not in note and "None" not in note


def test_text_is_one_line_per_paragraph_and_markdown_links_and_escapes() -> None:
    long_quote = " ".join(["The close is slow because every check waits for the end of the month."] * 5)
    answer_ = answer(item("wp", "Close *faster* [guide]", url="https://ex.com/a b", quote=long_quote))
    text = buyer_note(answer_, "text")
    assert f"   In its words: “{long_quote}”\n" in text  # never wrapped, however long
    assert not any(ch in text for ch in "╭│╰")
    markdown = buyer_note(answer_, "markdown")
    assert r"**[Close \*faster\* \[guide\]](<https://ex.com/a b>)**" in markdown
    assert f"   > {long_quote}" in markdown


def test_a_whole_short_item_is_read_whole_and_a_table_row_is_not_quoted() -> None:
    row = "Automation level | Median evidence requests | Audit finding"
    note = buyer_note(
        answer(item("faq", "Close FAQ", url="https://ex.com/f", quote=row, minutes=3, item_minutes=3)), "text"
    )
    assert "a 3-minute read" in note and "start with" not in note
    assert row not in note and "In its words" not in note
