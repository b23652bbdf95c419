"""The web page in a real browser: Playwright driving the system's chromium against `recommender serve`.

A seller's whole flow (a buying group, a gap, an internal item flagged, copying the email, which
marks the items as sent), a buyer key that must never see an internal item on either page, the
library's filters, an item's sections and the audit report, axe-core's accessibility check, and
the page at phone width. Screenshots go to a temporary folder, or to the folder named by
RECOMMENDER_SCREENSHOTS (the README's come from `RECOMMENDER_SCREENSHOTS=docs/screenshots`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from recommender.api.keys import NewKey, new_key
from tests.live_server import server_env, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it with apt)"),
]
AXE = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
GAP = "we need to automate payroll for 14 countries"
PROBLEMS = ["month-end close takes twelve days", "a competitor is cheaper than us", GAP]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Server:
    url: str
    keys: dict[str, NewKey]
    internal: dict[str, str]  # id -> title of every seller-only item


@pytest.fixture(scope="module")
def server(corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-server")
    keys = {"seller": new_key("seller-desk", ["seller"]), "buyer": new_key("deal-room", ["buyer"])}
    env = server_env(RECOMMENDER_API_KEYS=" ".join(k.key.line() for k in keys.values()))
    with serving(corpus_index, env, folder / "server.log") as (url, _):
        listing = httpx.get(
            f"{url}/v1/content",
            params={"audience": "internal", "limit": 200},
            headers={"Authorization": f"Bearer {keys['seller'].secret}"},
            timeout=30,
        ).json()
        yield Server(url, keys, {item["id"]: item["title"] for item in listing["items"]})


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("RECOMMENDER_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser: Any, server: Server, key: str, path: str = "/", viewport: dict[str, int] = DESKTOP) -> Any:
    """A fresh browser tab (its own session storage) on `path`, after entering the `key` key when asked."""
    return _enter_key(_tab(browser, server, path, viewport), server.keys[key].secret)


def _tab(browser: Any, server: Server, path: str, viewport: dict[str, int] = DESKTOP) -> Any:
    context = browser.new_context(viewport=viewport)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    page.goto(server.url + path)
    return page


def _enter_key(page: Any, secret: str) -> Any:
    field = page.get_by_label("API key", exact=True)
    assert field.is_visible() and page.evaluate("document.activeElement.id") == "api-key", "the page asks for a key"
    field.fill(secret)
    page.get_by_role("button", name="Use this key").click()
    return page


def _ask(
    page: Any, problems: list[str], *, roles: tuple[str, ...] = (), max_items: int = 4, shortcut: bool = False
) -> None:
    page.wait_for_function("document.querySelectorAll('#library-items option').length > 0")
    for n, problem in enumerate(problems, start=1):
        if n > 1:
            page.get_by_role("button", name="Add a problem").click()
        page.get_by_label(f"Problem {n}", exact=True).fill(problem)
    page.get_by_label("Buying stage").select_option("supplier-selection")
    for role in roles:
        page.get_by_label(role.replace("-", " "), exact=True).check()
    page.get_by_label("Items at most").fill(str(max_items))
    _submit(page, shortcut=shortcut)


def _submit(page: Any, *, shortcut: bool = False) -> None:
    """By keyboard: Enter on the button, or Ctrl+Enter in a problem's box; the result's heading takes the focus."""
    if shortcut:
        page.get_by_label("Problem 1", exact=True).press("Control+Enter")
    else:
        page.get_by_role("button", name="Recommend").focus()
        page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'result-heading'")


def _card_ids(page: Any) -> list[str]:
    return [text.strip() for text in page.locator(".card .id").all_inner_texts()]


def _axe(page: Any) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (all impacts, WCAG A/AA and best practices)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"""
    )


def _no_violations(page: Any, where: str) -> None:
    violations = _axe(page)
    print(f"axe-core on {where}: {len(violations)} violation(s) {json.dumps(violations)}")
    assert violations == [], f"axe-core on {where}: {json.dumps(violations, indent=1)}"


def test_a_seller_gets_a_set_for_a_buying_group_and_copies_the_email(browser: Any, server: Server, shots: Path) -> None:
    page = _open(browser, server, "seller")
    _ask(page, PROBLEMS, roles=("cfo", "it-security"))
    shown = _card_ids(page)
    assert shown and len(shown) <= 4
    flagged = [i for i in shown if i in server.internal]
    assert flagged, "the seller sees an internal item, flagged"
    assert page.locator(".card.internal .badge.warn").count() == len(flagged)
    assert page.locator(".card blockquote").count() >= 1, "reasons quote their evidence"
    assert GAP in page.locator(".gaps").inner_text()
    table = page.get_by_role("table")
    assert table.locator("thead th").all_inner_texts() == ["Item", "cfo", "it-security"]
    assert table.locator("tbody tr").count() == len(shown)
    page.screenshot(path=str(shots / "seller-desktop.png"), full_page=True)
    _no_violations(page, "the seller's page with a result")

    page.get_by_role("button", name="Copy email (plain text)").click()
    page.wait_for_function("document.getElementById('copy-status').textContent.startsWith('Copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#note-text").input_value() and copied.startswith("Hello,")
    assert not any(title in copied for title in server.internal.values()), "nothing internal in the email"
    sendable = [i for i in shown if i not in server.internal]
    assert page.locator("#already-sent").input_value().split() == sendable

    _submit(page)  # the next request: what was sent is not suggested again
    again = _card_ids(page)
    assert again and not set(again) & set(sendable), (again, sendable)


def test_a_buyer_key_never_sees_an_internal_item(browser: Any, server: Server) -> None:
    page = _open(browser, server, "buyer")
    _ask(page, PROBLEMS)
    offered = page.locator("#library-items option").evaluate_all("options => options.map(o => o.value)")
    assert offered and not set(offered) & set(server.internal)
    shown = _card_ids(page)
    assert shown and not set(shown) & set(server.internal)
    assert page.locator(".card.internal").count() == 0 and "Internal" not in page.locator("#result").inner_text()

    page.goto(server.url + "/library")  # the same tab keeps the key: it is not asked for again
    assert not page.get_by_label("API key", exact=True).is_visible()
    page.wait_for_selector(".items")
    listed = [t.strip() for t in page.locator(".item .id").all_inner_texts()]
    assert listed and not set(listed) & set(server.internal)
    assert page.locator("#f-owner").count() == 0 and page.locator("#open-audit").count() == 0


def test_a_wrong_key_is_refused_and_asked_for_again(browser: Any, server: Server) -> None:
    page = _enter_key(_tab(browser, server, "/"), "rk_not-a-key")
    page.wait_for_function("!document.getElementById('page-error').hidden")
    assert "the API key is not valid" in page.get_by_role("alert").inner_text()
    assert page.evaluate("sessionStorage.length") == 0, "a refused key is not kept"
    _enter_key(page, server.keys["buyer"].secret)
    page.wait_for_function("document.querySelectorAll('#library-items option').length > 0")
    assert page.evaluate("sessionStorage.length") == 1


def test_the_library_filters_opens_an_item_and_the_audit(browser: Any, server: Server, shots: Path) -> None:
    page = _open(browser, server, "seller", "/library")
    page.wait_for_selector(".items")
    page.get_by_label("Type").select_option("battlecard")
    page.wait_for_function("document.getElementById('items-heading').textContent.startsWith('3 items')")
    battlecards = [t.strip() for t in page.locator(".item .id").all_inner_texts()]
    assert battlecards and set(battlecards) <= set(server.internal)
    page.get_by_label("Type").select_option("")
    page.get_by_label("Owner").select_option("Sam Okafor (Sales Enablement)")
    page.wait_for_function("!document.getElementById('items-heading').textContent.startsWith('3 items')")
    page.locator(".item button.link").first.click()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'detail-heading'")
    assert "Sam Okafor" in page.locator("#item-detail").inner_text()
    assert page.locator("#item-detail .sections li").count() >= 1
    page.screenshot(path=str(shots / "library-desktop.png"), full_page=True)
    _no_violations(page, "the library page with an item open")

    page.get_by_role("button", name="Open the audit report").click()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'audit-heading'")
    audit = page.frame_locator("#audit-frame")
    assert "Near-duplicate items" in audit.locator("body").inner_text()


def test_the_page_works_at_phone_width(browser: Any, server: Server, shots: Path) -> None:
    page = _open(browser, server, "seller", viewport=PHONE)
    _ask(page, PROBLEMS[:1] + [GAP], roles=("cfo", "controller"), max_items=3, shortcut=True)
    assert _card_ids(page)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways at phone width: {width}"
    page.screenshot(path=str(shots / "seller-phone.png"))  # the screen the seller sees: the set's first card
    _no_violations(page, "the seller's page at phone width")
