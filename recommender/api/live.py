"""The index being served, swapped whole on reload with no downtime.

A request takes `live.current` once and uses that Served for its whole life, so a reload never
changes an answer half-way: requests in flight finish on the old build, new ones get the new
build, and the old one is freed when its last request is done. A build that fails its checks
(corrupt, another model, missing) is refused and the current one keeps serving. Each build answers
with the encoder it carries; the loaded one is kept when the new build uses the same.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from indexer.embed import Embedder
from indexer.encoders import open_index
from indexer.settings import Settings
from indexer.store import current_build
from indexer.vocabulary import Vocabulary, load_vocabulary
from recommender.api.schemas import IndexCounts, Ready, ReloadResult
from recommender.catalog import Catalog
from recommender.events.store import EventStore
from recommender.service import Recommender

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """One loaded build and everything that answers from it."""

    recommender: Recommender
    catalog: Catalog
    loaded_at: dt.datetime

    @property
    def build_id(self) -> str:
        return self.recommender.snapshot.manifest.build_id

    def ready(self) -> Ready:
        manifest = self.recommender.snapshot.manifest
        counts = manifest.counts
        return Ready(
            model=manifest.model.id,
            build_id=manifest.build_id,
            built_at=manifest.built_at,
            loaded_at=self.loaded_at,
            counts=IndexCounts(
                documents=counts.documents,
                buyer_documents=counts.buyer_documents,
                sections=counts.sections,
                pieces=counts.pieces,
            ),
        )


class LiveIndex:
    """Holds the Served build; `reload` loads the newest published one aside and swaps it in."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        today: Callable[[], dt.date] = dt.date.today,
        history: EventStore | None = None,
        reuse: Embedder | None = None,
    ) -> None:
        """`embedder`: a loaded encoder every build must have been made with; by default each build's own.
        `history`: the engagement events every build answers with (they live beside the builds).
        `reuse`: an encoder already loaded (another library's), kept when the first build uses the same."""
        self._settings = settings
        self._history = history
        self._embedder = embedder
        self._today = today
        self._vocabulary: Vocabulary = load_vocabulary(settings.vocabulary)
        self._lock = threading.Lock()
        self._served = self._load(reuse=reuse)

    @property
    def current(self) -> Served:
        return self._served

    def reload(self) -> ReloadResult:
        """Serve the newest published build; raises the core's error (and keeps serving) when it cannot be used."""
        with self._lock:
            before = self._served
            if current_build(self._settings.index) == before.recommender.snapshot.path:
                return _result(before, before, changed=False)
            after = self._load(reuse=before.recommender.retriever.embedder)
            self._served = after  # one reference assignment: atomic for every reader
            log.info("now serving index build %s (was %s)", after.build_id, before.build_id)
            return _result(before, after, changed=True)

    def _load(self, *, reuse: Embedder | None = None) -> Served:
        snapshot, embedder = open_index(self._settings, embedder=self._embedder, reuse=reuse)
        recommender = Recommender(
            snapshot,
            embedder,
            vocabulary=self._vocabulary,
            today=self._today,
            history=self._history,
            engagement=self._settings.engagement,
        )
        return Served(
            recommender, Catalog(snapshot, vocabulary=self._vocabulary, today=self._today), dt.datetime.now(dt.UTC)
        )


def _result(before: Served, after: Served, *, changed: bool) -> ReloadResult:
    manifest = after.recommender.snapshot.manifest
    return ReloadResult(
        changed=changed,
        build_id=manifest.build_id,
        previous_build_id=before.build_id,
        built_at=manifest.built_at,
        documents=manifest.counts.documents,
    )
