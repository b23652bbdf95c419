"""Engagement priors in a recommendation: learned from the event store, refreshed when events arrive,
applied as a bounded multiplier on the fit of candidates that already answer (recommender/events/priors.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from indexer.store import IndexSnapshot
from indexer.vocabulary import Vocabulary
from recommender.candidates import Candidate
from recommender.events.priors import EngagementPriors
from recommender.events.store import EventStore
from recommender.models import Evidence, Reason

REFRESH_SECONDS = 60.0  # new events reach the priors within this; deal memory reads the store on every request


@dataclass(frozen=True)
class _Learned:
    events: int
    today: dt.date
    at: float
    priors: EngagementPriors


class Engagement:
    """The current priors of one store over one snapshot: relearned (reading every event) when the day changed,
    or when the store has grown and the last learning is older than REFRESH_SECONDS, so a stream of webhooks
    does not make every request reread the store."""

    def __init__(
        self,
        history: EventStore,
        snapshot: IndexSnapshot,
        vocabulary: Vocabulary,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.history = history
        self._minutes = {d.meta.id: d.reading_minutes for d in snapshot.documents}
        self._vocabulary = vocabulary
        self._clock = clock
        self._lock = threading.Lock()
        self._learned: _Learned | None = None

    def priors(self, today: dt.date) -> EngagementPriors:
        learned = self._learned
        if learned is not None and learned.today == today and self._clock() - learned.at < REFRESH_SECONDS:
            return learned.priors
        count = self.history.count()
        if learned is not None and learned.today == today and learned.events == count:
            self._learned = dataclasses.replace(learned, at=self._clock())  # counted again a minute from now
            return learned.priors
        with self._lock:
            priors = EngagementPriors.learn(
                self.history.events(), reading_minutes=self._minutes, today=today, stage_of=self._stage
            )
            self._learned = _Learned(count, today, self._clock(), priors)
        return priors

    def _stage(self, name: str) -> str:
        return self._vocabulary.stages.normalize(name) or name


def boost(
    candidates: Sequence[Candidate], priors: EngagementPriors, stage: str | None, ids: Callable[[int], str]
) -> list[Candidate]:
    """Each candidate with its engagement prior (if any) multiplied into its fit."""
    out = []
    for candidate in candidates:
        prior = priors.lookup(ids(candidate.doc), stage)
        if prior is None or prior.multiplier <= 1.0:
            out.append(candidate)
            continue
        fit = dataclasses.replace(
            candidate.fit, multiplier=candidate.fit.multiplier * prior.multiplier, engagement=prior
        )
        out.append(dataclasses.replace(candidate, fit=fit))
    return out


def engagement_reason(candidate: Candidate) -> Reason | None:
    prior = candidate.fit.engagement
    if prior is None:
        return None
    tags = [f"read:{prior.read}/{prior.deals}", f"rate:{prior.rate:.3f}", f"library:{prior.library_rate:.3f}"]
    return Reason(kind="engagement", text=prior.describe(), evidence=Evidence(tags=tags))
