"""Engagement priors: how often buyers read an item to the end, per buying stage, smoothed and bounded.

For each item and stage, every deal the item went to is one trial, and a *success* when a buyer read
it to the end (a `viewed` event lasting at least READ_SHARE of its reading time) or marked it
`helpful`, unless they also marked it `not_helpful`. Older trials count less (weight halves every
HALF_LIFE_DAYS). The rate is Beta-binomial smoothed towards the library's own rate with the weight of
PRIOR_DEALS deals, so two lucky sends do not make an item a star. Only a rate above the library's
raises an item, by at most MAX_BOOST (5%) of its fit-weighted relevance:

    multiplier = 1 + MAX_BOOST * max(0, (rate - library_rate) / (1 - library_rate))

It is applied to candidates that already passed every hard filter and answer a problem, so it can
reorder answers and never turns a non-answer into an answer or hides a gap.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from recommender.events.models import Event

READ_SHARE = 0.8
HALF_LIFE_DAYS = 180.0
PRIOR_DEALS = 10.0
# The issue allows up to +15%; the seeded simulator (python -m benchmarks.engagement_sim, docs/benchmarks.md)
# keeps the scenario set's nDCG@5 within 0.01 on 5 of 5 seeds at 5%, on 3 of 5 at 10% and 1 of 3 at 15%.
MAX_BOOST = 0.05
ANY_STAGE = ""  # the key for an item's record over every stage


@dataclass(frozen=True)
class Prior:
    """One item's engagement at one stage (or over all stages)."""

    content_id: str
    stage: str  # ANY_STAGE: all stages
    deals: int  # deals it went to (unweighted)
    read: int  # of which read to the end (unweighted)
    rate: float  # smoothed, age-weighted rate
    library_rate: float
    multiplier: float

    def describe(self) -> str:
        where = f"at {self.stage}" if self.stage != ANY_STAGE else "over all stages"
        return (
            f"Read to the end by {self.read} of {self.deals} buyer(s) {where} (smoothed {self.rate:.0%} against "
            f"{self.library_rate:.0%} for the library; ranked up {self.multiplier - 1:.0%})"
        )


@dataclass
class _Deal:
    sent: dt.date
    stage: str | None = None
    seconds: float = 0.0
    helpful: bool = False
    not_helpful: bool = False


class EngagementPriors:
    """Priors over one set of events; `lookup(item, stage)` is the stage's prior, else the item's overall one."""

    def __init__(self, priors: Mapping[tuple[str, str], Prior], library_rate: float) -> None:
        self._priors = dict(priors)
        self.library_rate = library_rate

    def __len__(self) -> int:
        return len(self._priors)

    def lookup(self, content_id: str, stage: str | None) -> Prior | None:
        if stage is not None and (found := self._priors.get((content_id, stage))) is not None:
            return found
        return self._priors.get((content_id, ANY_STAGE))

    def all(self) -> list[Prior]:
        return list(self._priors.values())

    @classmethod
    def learn(
        cls,
        events: Iterable[Event],
        *,
        reading_minutes: Mapping[str, int],
        today: dt.date,
        stage_of: Callable[[str], str] = str,
    ) -> EngagementPriors:
        """Priors from `events` about the items in `reading_minutes` (id -> minutes); `stage_of` maps a stage
        name as a deal room sends it to a buying job."""
        deals = _deals(events, reading_minutes, stage_of)
        trials: dict[tuple[str, str], list[tuple[float, bool]]] = defaultdict(list)
        for (item, _deal), story in deals.items():
            weight = 0.5 ** (max((today - story.sent).days, 0) / HALF_LIFE_DAYS)
            success = _read(story, reading_minutes[item])
            trials[(item, ANY_STAGE)].append((weight, success))
            if story.stage:
                trials[(item, story.stage)].append((weight, success))
        overall = [t for (_, stage), ts in trials.items() if stage == ANY_STAGE for t in ts]
        total = sum(w for w, _ in overall)
        if total <= 0:
            return cls({}, 0.0)
        library = sum(w for w, ok in overall if ok) / total
        return cls({key: _prior(key, ts, library) for key, ts in trials.items()}, library)


def _deals(
    events: Iterable[Event], reading_minutes: Mapping[str, int], stage_of: Callable[[str], str]
) -> dict[tuple[str, str], _Deal]:
    deals: dict[tuple[str, str], _Deal] = {}
    for e in events:
        if e.content_id not in reading_minutes or e.type in ("won", "lost"):
            continue
        story = deals.setdefault((e.content_id, e.deal_id), _Deal(sent=e.at.date()))
        story.sent = min(story.sent, e.at.date())
        if e.stage and (story.stage is None or e.type == "sent"):
            story.stage = stage_of(e.stage)
        if e.type == "viewed" and e.seconds:
            story.seconds += e.seconds
        story.helpful |= e.type == "helpful"
        story.not_helpful |= e.type == "not_helpful"
    return deals


def _read(story: _Deal, minutes: int) -> bool:
    read_through = story.seconds >= READ_SHARE * max(minutes, 1) * 60
    return (read_through or story.helpful) and not story.not_helpful


def _prior(key: tuple[str, str], trials: list[tuple[float, bool]], library: float) -> Prior:
    weight = sum(w for w, _ in trials)
    read = sum(w for w, ok in trials if ok)
    rate = (read + library * PRIOR_DEALS) / (weight + PRIOR_DEALS)
    lift = max(0.0, (rate - library) / (1 - library)) if library < 1 else 0.0
    return Prior(
        content_id=key[0],
        stage=key[1],
        deals=len(trials),
        read=sum(1 for _, ok in trials if ok),
        rate=rate,
        library_rate=library,
        multiplier=1 + MAX_BOOST * min(lift, 1.0),
    )
