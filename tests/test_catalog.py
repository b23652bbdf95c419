"""The catalog core over the real sample corpus: filters, outlines, and the audience rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer.embed import Embedder
from indexer.errors import InvalidRequestError
from indexer.store import IndexSnapshot, load_index
from recommender.catalog import Catalog, ContentQuery

TODAY = dt.date(2026, 11, 27)
EXPIRED = {"promo-year-end-2025", "web-2025-close-summit-replay", "pricing-sheet-2024", "sec-soc2-bridge-letter-2025"}


@pytest.fixture(scope="module")
def snapshot(corpus_index: Path, embedder: Embedder) -> IndexSnapshot:
    return load_index(corpus_index, model_id=embedder.model_id)


@pytest.fixture(scope="module")
def catalog(snapshot: IndexSnapshot) -> Catalog:
    return Catalog(snapshot, today=lambda: TODAY)


def _all(catalog: Catalog, viewer: str, **filters: object) -> list:  # type: ignore[type-arg]
    page = catalog.items(ContentQuery(limit=200, **filters), viewer=viewer)  # type: ignore[arg-type]
    assert page.total == len(page.items)
    return page.items


def test_a_buyer_sees_only_buyer_facing_unexpired_items(catalog: Catalog, snapshot: IndexSnapshot) -> None:
    seen = {item.id for item in _all(catalog, "buyer")}
    expected = {d.meta.id for d in snapshot.documents if d.meta.audience == "buyer" and not d.meta.is_expired(TODAY)}
    assert seen == expected
    assert not seen & EXPIRED


def test_a_buyer_asking_for_internal_items_gets_none(catalog: Catalog) -> None:
    assert _all(catalog, "buyer", audience="internal") == []
    assert catalog.item("int-discount-guidance", viewer="buyer") is None
    assert catalog.item("pricing-sheet-2024", viewer="buyer") is None


def test_a_seller_sees_everything_flagged(catalog: Catalog, snapshot: IndexSnapshot) -> None:
    items = {item.id: item for item in _all(catalog, "seller")}
    assert set(items) == {d.meta.id for d in snapshot.documents}
    assert items["int-discount-guidance"].internal and not items["int-discount-guidance"].expired
    assert items["pricing-sheet-2024"].expired and not items["pricing-sheet-2024"].internal
    assert {i for i, item in items.items() if item.expired} == EXPIRED


def test_filters_use_the_vocabulary_and_all_must_hold(catalog: Catalog) -> None:
    by_alias = _all(catalog, "seller", stage="evaluation")  # alias of requirements-building
    assert by_alias and all("requirements-building" in item.stages for item in by_alias)
    both = _all(catalog, "seller", role="chief financial officer", type="case-study")
    assert both and all("cfo" in item.roles and item.type == "case-study" for item in both)
    internal = _all(catalog, "seller", audience="internal")
    assert internal and all(item.internal for item in internal)


@pytest.mark.parametrize(
    ("filters", "field"),
    [({"stage": "onboarding"}, "stage"), ({"role": "astronaut"}, "role"), ({"type": "poem"}, "type")],
)
def test_an_unknown_filter_value_names_the_field(catalog: Catalog, filters: dict, field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        catalog.items(ContentQuery(**filters), viewer="seller")
    assert caught.value.field == field and caught.value.hint


def test_pages_are_stable_and_cover_the_list(catalog: Catalog) -> None:
    whole = [item.id for item in _all(catalog, "seller")]
    assert whole == sorted(whole)
    pages = [catalog.items(ContentQuery(limit=7, offset=start), viewer="seller") for start in range(0, len(whole), 7)]
    assert [item.id for page in pages for item in page.items] == whole
    assert {page.total for page in pages} == {len(whole)}


def test_one_item_has_its_section_outline(catalog: Catalog, snapshot: IndexSnapshot) -> None:
    detail = catalog.item("cs-harbor-point-close", viewer="buyer")
    assert detail is not None
    row = snapshot.document_index("cs-harbor-point-close")
    expected = [s for s in snapshot.sections if s.doc == row]
    assert [s.heading_path for s in detail.sections] == [list(s.heading_path) for s in expected]
    assert all(s.heading for s in detail.sections)
    assert detail.owner is None, "a buyer does not see who owns an item"
    assert catalog.item("cs-harbor-point-close", viewer="seller").owner is not None  # type: ignore[union-attr]


def test_an_unknown_id_is_none(catalog: Catalog) -> None:
    assert catalog.item("no-such-item", viewer="seller") is None


def test_the_expired_filter_splits_a_sellers_library_and_gives_a_buyer_none(catalog: Catalog) -> None:
    assert {item.id for item in _all(catalog, "seller", expired=True)} == EXPIRED
    current = {item.id for item in _all(catalog, "seller", expired=False)}
    assert current and not current & EXPIRED
    assert _all(catalog, "buyer", expired=True) == []


def test_the_owner_filter_matches_part_of_the_owner_in_any_case(catalog: Catalog, snapshot: IndexSnapshot) -> None:
    expected = {d.meta.id for d in snapshot.documents if d.meta.owner and "okafor" in d.meta.owner.lower()}
    assert expected
    assert {item.id for item in _all(catalog, "seller", owner="sam OKAFOR")} == expected


def test_a_buyer_may_not_filter_by_owner(catalog: Catalog) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        catalog.items(ContentQuery(owner="Sam Okafor"), viewer="buyer")
    assert raised.value.field == "owner"


def test_facets_list_only_what_the_viewer_may_see(catalog: Catalog, snapshot: IndexSnapshot) -> None:
    buyer, seller = catalog.facets(viewer="buyer"), catalog.facets(viewer="seller")
    buyer_ids = {item_id for item_id, _ in buyer.items}
    assert buyer_ids == {item.id for item in _all(catalog, "buyer")}
    assert {item_id for item_id, _ in seller.items} == {d.meta.id for d in snapshot.documents}
    assert buyer.owners == [] and "Sam Okafor (Sales Enablement)" in seller.owners
    assert "battlecard" in seller.types and "battlecard" not in buyer.types
