"""What deal rooms say about the library: items sent but never opened, and items that work at each stage."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from indexer.store import IndexSnapshot
from indexer.vocabulary import Vocabulary
from recommender.audit.report import EngagementFindings, ItemRef, StageWinner, Unopened
from recommender.events.priors import ANY_STAGE, EngagementPriors
from recommender.events.store import EventStore

OPENED = frozenset({"opened", "viewed", "forwarded", "downloaded", "replied", "helpful", "not_helpful"})
WINNERS_PER_STAGE = 5


def engagement_findings(
    snapshot: IndexSnapshot, store: EventStore, *, today: dt.date, vocabulary: Vocabulary
) -> EngagementFindings:
    events = list(store.events())
    by_id = {d.meta.id: d for d in snapshot.documents}
    sent: dict[str, set[str]] = defaultdict(set)
    opened: set[str] = set()
    for e in events:
        if e.content_id in by_id:
            sent[e.content_id].add(e.deal_id)
            if e.type in OPENED:
                opened.add(e.content_id)
    unopened = tuple(
        Unopened(item=ItemRef.of(by_id[i]), deals=len(deals))
        for i, deals in sorted(sent.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        if i not in opened
    )
    priors = EngagementPriors.learn(
        events,
        reading_minutes={i: d.reading_minutes for i, d in by_id.items()},
        today=today,
        stage_of=lambda name: vocabulary.stages.normalize(name) or name,
    )
    winners = sorted(
        (p for p in priors.all() if p.stage != ANY_STAGE and p.multiplier > 1),
        key=lambda p: (p.stage, -p.rate, p.content_id),
    )
    kept: dict[str, int] = defaultdict(int)
    working = []
    for p in winners:
        if kept[p.stage] < WINNERS_PER_STAGE:
            kept[p.stage] += 1
            working.append(
                StageWinner(
                    stage=p.stage, item=ItemRef.of(by_id[p.content_id]), read=p.read, deals=p.deals, rate=p.rate
                )
            )
    return EngagementFindings(
        events=len(events), library_rate=priors.library_rate, sent_never_opened=unopened, working=tuple(working)
    )
