"""Engagement priors as pure arithmetic: Beta-binomial smoothing, decay with age, the +15% bound, stages."""

from __future__ import annotations

import datetime as dt

import pytest

from recommender.events.models import Event
from recommender.events.priors import MAX_BOOST, PRIOR_DEALS, EngagementPriors

TODAY = dt.date(2026, 11, 27)
MINUTES = {"a": 5, "b": 5, "c": 5, "d": 5}


def story(item: str, deal: str, *, read: bool, stage: str = "validation", days_ago: int = 0) -> list[Event]:
    at = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(10), dt.UTC)
    sent = Event(event_id=f"{item}-{deal}-s", deal_id=deal, content_id=item, type="sent", at=at, stage=stage)
    seconds = 5 * 60 if read else 20
    viewed = Event(event_id=f"{item}-{deal}-v", deal_id=deal, content_id=item, type="viewed", seconds=seconds, at=at)
    return [sent, viewed]


def events(item: str, read: int, deals: int, **kw: object) -> list[Event]:
    return [e for n in range(deals) for e in story(item, f"{item}{n}", read=n < read, **kw)]  # type: ignore[arg-type]


def learn(evs: list[Event]) -> EngagementPriors:
    return EngagementPriors.learn(evs, reading_minutes=MINUTES, today=TODAY)


def test_the_rate_is_smoothed_towards_the_library_and_only_a_better_rate_boosts() -> None:
    priors = learn(events("a", 7, 9) + events("b", 1, 9))
    library = 8 / 18
    assert priors.library_rate == pytest.approx(library)
    a, b = priors.lookup("a", "validation"), priors.lookup("b", "validation")
    assert a is not None and b is not None
    assert a.rate == pytest.approx((7 + library * PRIOR_DEALS) / (9 + PRIOR_DEALS))
    lift = (a.rate - library) / (1 - library)
    assert a.multiplier == pytest.approx(1 + MAX_BOOST * lift) and 1 < a.multiplier < 1 + MAX_BOOST
    assert b.multiplier == 1.0
    assert "Read to the end by 7 of 9 buyer(s) at validation" in a.describe()


def test_few_sends_count_for_little_and_the_boost_is_bounded() -> None:
    priors = learn(events("a", 7, 9) + events("b", 1, 9) + events("c", 1, 1))
    a, c = priors.lookup("a", "validation"), priors.lookup("c", "validation")
    assert a is not None and c is not None
    assert c.multiplier < a.multiplier, "one read of one send must not beat seven of nine"
    star = learn(events("d", 1000, 1000) + events("b", 0, 1000)).lookup("d", "validation")
    assert star is not None and 1 + MAX_BOOST * 0.95 < star.multiplier <= 1 + MAX_BOOST


def test_old_engagement_decays() -> None:
    fresh = learn(events("a", 7, 9) + events("b", 1, 9, days_ago=0)).lookup("a", "validation")
    old = learn(events("a", 7, 9, days_ago=720) + events("b", 1, 9, days_ago=0)).lookup("a", "validation")
    assert fresh is not None and old is not None and old.multiplier < fresh.multiplier


def test_a_stage_without_its_own_record_falls_back_to_the_item_over_all_stages() -> None:
    priors = learn(events("a", 7, 9) + events("b", 1, 9, stage="supplier-selection"))
    overall = priors.lookup("a", "consensus-creation")
    assert overall is not None and overall.stage == "" and "over all stages" in overall.describe()
    assert priors.lookup("zzz", "validation") is None and len(learn([])) == 0
