"""Engagement priors in real answers (the bundled model, the sample corpus): they reorder answers within
the bound, show their numbers as a reason, and never override a hard filter, relevance or a gap."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.embed import Embedder
from indexer.settings import Settings
from indexer.store import load_index
from indexer.vocabulary import Vocabulary
from recommender.cli import app
from recommender.engagement import REFRESH_SECONDS, Engagement
from recommender.events.models import Event
from recommender.events.priors import MAX_BOOST
from recommender.events.store import EventStore
from recommender.requests import parse_request
from recommender.service import Recommender

TODAY = dt.date(2026, 11, 27)
CLOSE = {"problems": ["month-end close takes twelve days", "our submarine fleet needs sonar upgrades"]}
REQUEST = {**CLOSE, "stage": "validation", "max_items": 4}
LOVED = (
    "wp-continuous-close",
    "int-competitive-traps",
    "sec-data-privacy",
)  # an answer, an internal item, an unrelated one


def history(path: Path) -> EventStore:
    store = EventStore(path)
    at = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    events = []
    for n in range(300):  # the library's baseline: sent, barely opened
        events.append(Event(event_id=f"f{n}-s", deal_id=f"f{n}", content_id="faq-general", type="sent", at=at))
    for item in LOVED:
        for n in range(100):
            deal = f"{item}-{n}"
            events.append(
                Event(event_id=f"{deal}-s", deal_id=deal, content_id=item, type="sent", at=at, stage="validation")
            )
            events.append(
                Event(event_id=f"{deal}-v", deal_id=deal, content_id=item, type="viewed", seconds=3600, at=at)
            )
    store.append(events, source="test")
    return store


@pytest.fixture(scope="module")
def answers(corpus_index: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    path = tmp_path_factory.mktemp("engagement") / "events.sqlite3"
    history(path)
    settings = Settings(index=corpus_index, events=path)
    request = parse_request(REQUEST)
    on = Recommender.open(settings, embedder=embedder, today=lambda: TODAY)
    off = Recommender.open(settings.model_copy(update={"engagement": False}), embedder=embedder, today=lambda: TODAY)
    return {"on": on.recommend(request), "off": off.recommend(request)}


def test_a_well_read_answer_moves_up_and_says_why_with_its_numbers(answers: dict) -> None:
    on, off = answers["on"], answers["off"]
    assert "wp-continuous-close" not in [i.id for i in off.items]
    item = next(i for i in on.items if i.id == "wp-continuous-close")
    reason = next(r for r in item.reasons if r.kind == "engagement")
    assert "Read to the end by 100 of 100 buyer(s) at validation" in reason.text and "ranked up" in reason.text
    assert not any(r.kind == "engagement" for i in off.items for r in i.reasons)


def test_the_prior_never_overrides_a_filter_relevance_or_a_gap(answers: dict) -> None:
    on, off = answers["on"], answers["off"]
    ids = [i.id for i in on.items]
    assert "int-competitive-traps" not in ids and not any(i.internal for i in on.items)  # audience filter
    assert "sec-data-privacy" not in ids  # engagement does not make an item answer the problem
    assert [g.problem for g in on.gaps] == [g.problem for g in off.gaps] == [CLOSE["problems"][1]]
    before = {i.id: i.score for i in off.items}
    for item in on.items:  # the same item scores the same, or at most MAX_BOOST more when buyers read it
        if item.id in before:
            ratio = item.score / before[item.id]
            boosted = any(r.kind == "engagement" for r in item.reasons)
            assert (1.0 < ratio <= 1 + MAX_BOOST + 1e-3) if boosted else ratio == pytest.approx(1.0, abs=1e-3)


def test_the_audit_lists_items_never_opened_and_what_works_at_each_stage(corpus_index: Path, tmp_path: Path) -> None:
    store = history(tmp_path / "events.sqlite3")
    result = CliRunner().invoke(
        app,
        ["audit", "--index", str(corpus_index), "--json", "--today", "2026-11-27"],
        env={"RECOMMENDER_EVENTS": str(store.path)},
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["engagement"]
    assert found["events"] == 900 and [(u["item"]["id"], u["deals"]) for u in found["sent_never_opened"]] == [
        ("faq-general", 300)
    ]
    assert {(w["stage"], w["item"]["id"], w["read"], w["deals"]) for w in found["working"]} == {
        ("validation", item, 100, 100) for item in LOVED
    }
    html = tmp_path / "audit.html"
    CliRunner().invoke(
        app, ["audit", "--index", str(corpus_index), "--html", str(html)], env={"RECOMMENDER_EVENTS": str(store.path)}
    )
    assert "Sent but never opened" in html.read_text(encoding="utf-8")


def test_new_events_reach_the_priors_within_the_refresh_time(corpus_index: Path, tmp_path: Path) -> None:
    store = history(tmp_path / "events.sqlite3")
    now = [0.0]
    engagement = Engagement(store, load_index(corpus_index, model_id=None), Vocabulary(), clock=lambda: now[0])
    first = engagement.priors(TODAY)
    assert first.lookup("faq-general", None) is not None and first.lookup("cs-harbor-point-close", None) is None
    at = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    store.append(
        [Event(event_id="new", deal_id="n1", content_id="cs-harbor-point-close", type="sent", at=at)], source="t"
    )
    now[0] = REFRESH_SECONDS - 1
    assert engagement.priors(TODAY) is first  # within the refresh time the store is not reread
    now[0] = REFRESH_SECONDS + 1
    assert engagement.priors(TODAY).lookup("cs-harbor-point-close", None) is not None
