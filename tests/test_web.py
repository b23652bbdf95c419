"""The web page's routes through FastAPI's TestClient: pages, fragments, keys and the audience rule.

The browser itself is tested in tests/test_web_browser.py; here each fragment is checked as HTML.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.embed import Embedder
from indexer.store import load_index
from recommender.api.app import create_app
from recommender.api.keys import NewKey, new_key
from tests.test_api import _settings, auth

TODAY = dt.date(2026, 11, 27)
PROBLEMS = ["month-end close takes twelve days", "a competitor is cheaper than us", "automate payroll for 14 countries"]
BODY = {"problems": PROBLEMS, "roles": ["cfo", "it-security"], "max_items": 4}


@pytest.fixture(scope="module")
def keys() -> dict[str, NewKey]:
    return {"buyer": new_key("deal-room", ["buyer"]), "seller": new_key("seller-desk", ["seller"])}


@pytest.fixture(scope="module")
def client(corpus_index: Path, embedder: Embedder, keys: dict[str, NewKey]) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(corpus_index, keys), embedder=embedder, today=lambda: TODAY)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def internal_ids(corpus_index: Path, embedder: Embedder) -> set[str]:
    documents = load_index(corpus_index, model_id=embedder.model_id).documents
    return {d.meta.id for d in documents if d.meta.audience != "buyer"}


def _ids(fragment: str) -> set[str]:
    return set(re.findall(r'<span class="id">([^<]+)</span>', fragment))


def test_the_pages_hold_no_library_data_and_say_a_key_is_needed(client: TestClient) -> None:
    for path in ("/", "/library"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'data-keys-required="true"' in page.text and 'id="api-key"' in page.text
        assert "/ui/static/page.js" in page.text and "https://" not in page.text, "no CDN, no outside asset"
    assert client.get("/ui/static/page.js").status_code == 200
    assert client.get("/ui/static/page.css").status_code == 200


def test_every_fragment_needs_a_key(client: TestClient) -> None:
    for path in ("/ui/sent-options", "/ui/library/filters", "/ui/library/items", "/ui/audit"):
        response = client.get(path)
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized", path
    assert client.post("/ui/recommend", json=BODY).status_code == 401


def test_the_sent_picker_offers_a_buyer_key_buyer_items_only(
    client: TestClient, keys: dict[str, NewKey], internal_ids: set[str]
) -> None:
    def offered(key: NewKey) -> set[str]:
        return set(re.findall(r'<option value="([^"]+)"', client.get("/ui/sent-options", headers=auth(key)).text))

    buyer, seller = offered(keys["buyer"]), offered(keys["seller"])
    assert buyer and not buyer & internal_ids
    assert internal_ids <= seller


def test_a_seller_sees_cards_flags_gaps_roles_and_an_email_without_internal_items(
    client: TestClient, keys: dict[str, NewKey], internal_ids: set[str]
) -> None:
    response = client.post("/ui/recommend", json=BODY, headers=auth(keys["seller"]))
    assert response.status_code == 200, response.text
    page = html.unescape(response.text)
    shown = _ids(response.text)
    flagged = shown & internal_ids
    assert flagged and "Internal: seller only" in page
    assert "Gaps: what the library does not answer" in page and "automate payroll for 14 countries" in page
    assert "which items speak to which role" in page
    note = html.unescape(re.search(r'<textarea id="note-text"[^>]*>(.*?)</textarea>', response.text, re.S)[1])
    assert note.startswith("Hello,")
    sent = set(json.loads(html.unescape(re.search(r'data-sent="([^"]*)"', response.text)[1])))
    assert sent == shown - internal_ids, "copying marks exactly the items the email sends"


def test_a_buyer_key_never_gets_internal_items_whatever_it_asks(
    client: TestClient, keys: dict[str, NewKey], internal_ids: set[str]
) -> None:
    response = client.post("/ui/recommend", json={**BODY, "audience": "seller"}, headers=auth(keys["buyer"]))
    assert response.status_code == 200 and _ids(response.text)
    assert not _ids(response.text) & internal_ids and "Internal" not in response.text


def test_a_bad_request_is_the_apis_error(client: TestClient, keys: dict[str, NewKey]) -> None:
    response = client.post("/ui/recommend", json={**BODY, "stage": "onboardng"}, headers=auth(keys["seller"]))
    assert response.status_code == 422
    error = response.json()["error"]
    assert "unknown stage 'onboardng'" in error["message"] and error["details"]["field"] == "stage"


def test_the_library_filters_and_audit_follow_the_keys_scope(
    client: TestClient, keys: dict[str, NewKey], internal_ids: set[str]
) -> None:
    buyer = client.get("/ui/library/filters", headers=auth(keys["buyer"])).text
    seller = client.get("/ui/library/filters", headers=auth(keys["seller"])).text
    assert 'id="f-owner"' not in buyer and 'id="open-audit"' not in buyer
    assert 'id="f-owner"' in seller and 'id="open-audit"' in seller
    listed = client.get("/ui/library/items?audience=internal&limit=200", headers=auth(keys["seller"])).text
    assert _ids(listed) == internal_ids
    assert not _ids(client.get("/ui/library/items?limit=200", headers=auth(keys["buyer"])).text) & internal_ids
    assert client.get("/ui/library/items/int-discount-guidance", headers=auth(keys["buyer"])).status_code == 404
    detail = client.get("/ui/library/items/int-discount-guidance", headers=auth(keys["seller"]))
    assert detail.status_code == 200 and "<h3>Sections</h3>" in detail.text and "Owner" in detail.text
    assert client.get("/ui/audit", headers=auth(keys["buyer"])).status_code == 403
    audit = client.get("/ui/audit", headers=auth(keys["seller"]))
    assert audit.status_code == 200 and "Near-duplicate items" in audit.text
