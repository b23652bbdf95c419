"""The seller's view as markdown: everything the terminal shows, escaped, with the INTERNAL flag."""

from __future__ import annotations

from recommender.models import PerRoleRecommendation, RoleRecommendation
from recommender.seller_markdown import seller_markdown, seller_markdown_per_role
from tests.test_buyer_note import BATTLECARD, PAYROLL, answer, item


def test_items_reasons_quotes_gaps_and_what_was_left_out() -> None:
    text = seller_markdown(
        answer(item("wp-close", "Close *faster*", url="https://ex.com/c"), BATTLECARD, gaps=(PAYROLL,))
    )
    assert text.startswith(
        "## Recommendation\n\nRecognised: for seller; stage problem-identification (from 'awareness')"
    )
    assert r"1. **Close \*faster\*** (whitepaper, `wp-close`, score 3.46)  " in text
    assert "   read *Late numbers, slower decisions*, 2 min - [https://ex.com/c](<https://ex.com/c>)" in text
    assert (
        "2. **Seller battlecard: beating Closewise** (whitepaper, `bc-secret`, score 3.46) **INTERNAL - do not send**"
        in text
    )
    assert '   - Addresses "month-end close takes twelve days" - see "Late numbers".' in text
    assert "     > A 12-day close means management sees the month's results halfway through the next month." in text
    assert f'**Gaps**\n\n- Nothing in the library answers "{PAYROLL}" well' in text
    assert "**Left out**\n\n- Another case study (`cs-other`): max-items - left out" in text


def test_an_item_without_url_shows_its_path_and_an_empty_answer_says_so() -> None:
    assert "`library/cs-x.md`" in seller_markdown(answer(item("cs-x", "No link")))
    assert "Nothing to send: no content in the library answers these problems well." in seller_markdown(answer())


def test_per_role_is_one_section_per_role() -> None:
    grouped = PerRoleRecommendation(
        roles=[
            RoleRecommendation(role=r, recommendation=answer(item(f"x-{r}", f"For {r}")))
            for r in ("cfo", "it-security")
        ]
    )
    text = seller_markdown_per_role(grouped)
    assert text.index("## For the cfo\n") < text.index("**For cfo**") < text.index("## For the it-security\n")
