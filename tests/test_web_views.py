"""The page's view helpers on hand-built Recommendations: the buying-group table and the items an email sends."""

from __future__ import annotations

from recommender.models import IndexInfo, Recognised, Recommendation, RecommendedItem, SectionRef
from recommender.web.views import http_link, role_view, sent_ids


def _item(item_id: str, roles: list[str], *, internal: bool = False) -> RecommendedItem:
    return RecommendedItem(
        id=item_id,
        title=f"Title of {item_id}",
        type="case-study",
        url=f"https://example.com/{item_id}",
        source_path=f"{item_id}.md",
        internal=internal,
        section=SectionRef(heading="Start here", heading_path=["Start here"], reading_minutes=2),
        reading_minutes=2,
        item_reading_minutes=5,
        score=1.0,
        problems=["month-end close takes twelve days"],
        roles=roles,
        stages=[],
        reasons=[],
    )


def _answer(items: list[RecommendedItem], roles: list[str]) -> Recommendation:
    recognised = Recognised(
        problems=["month-end close takes twelve days"],
        stage=None,
        stage_given=None,
        related_stages=[],
        roles=roles,
        industry=None,
        audience="seller",
    )
    return Recommendation(
        items=items,
        gaps=[],
        trimmed=[],
        recognised=recognised,
        index=IndexInfo(build_id="b", built_at="2026-11-27T00:00:00", documents=3),
    )


def test_the_table_marks_which_item_speaks_to_which_role_and_names_roles_left_alone() -> None:
    answer = _answer([_item("a", ["cfo"]), _item("b", ["cfo", "controller"])], ["cfo", "controller", "it-security"])
    view = role_view(answer)
    assert view is not None and view.roles == ("cfo", "controller", "it-security")
    assert [row.speaks for row in view.rows] == [(True, False, False), (True, True, False)]
    assert view.unserved == ("it-security",)


def test_one_role_or_none_is_not_a_buying_group() -> None:
    assert role_view(_answer([_item("a", ["cfo"])], ["cfo"])) is None
    assert role_view(_answer([_item("a", [])], [])) is None


def test_the_email_sends_the_buyer_facing_items_only() -> None:
    answer = _answer([_item("a", []), _item("secret", [], internal=True), _item("b", [])], [])
    assert sent_ids(answer) == ["a", "b"]


def test_only_web_and_mail_links_are_made_links() -> None:
    assert http_link("https://ledgerline.example/a") == "https://ledgerline.example/a"
    assert http_link("mailto:sales@ledgerline.example") == "mailto:sales@ledgerline.example"
    assert http_link("javascript:alert(1)") is None and http_link(" JavaScript:alert(1)") is None
    assert http_link(None) is None and http_link("docs/a.md") is None
