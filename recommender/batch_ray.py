"""Batch recommendations on Ray: a pool of actors, each holding one Recommender, answers the requests.

The driver reads the requests, skips those already done, and writes every result itself, in request
order, as soon as it and those before it are answered: the output, and resuming it, are exactly
as with a local run (recommender/batch.py). Every worker opens the index at the same path, so on a
cluster that path must be shared storage (or a copy at the same path) on every node.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from indexer.engines import ray_connection
from indexer.errors import RecommenderError
from indexer.settings import Settings
from recommender.batch import BadLine, BatchRequest, answer_one
from recommender.batch_sinks import BatchResult
from recommender.service import Recommender

IN_FLIGHT_PER_WORKER = 4  # requests queued per worker: enough to keep each busy, few held in memory


@dataclass(frozen=True)
class RayAnswerer:
    """Answers with `workers` Ray actors (default: one per CPU of the cluster), each opening `settings.index`."""

    settings: Settings
    address: str | None = None
    workers: int | None = None

    def answer_all(self, requests: Iterable[BatchRequest]) -> Iterator[BatchResult | BadLine]:
        from ray.util import ActorPool

        with ray_connection(self.address, self.workers) as (ray, workers):
            actor = ray.remote(num_cpus=1, max_restarts=0)(_BatchWorker)
            pool = [actor.remote(self.settings) for _ in range(workers)]
            try:
                _raise_first_error(ray.get([a.ready.remote() for a in pool]))
                yield from _in_order(ActorPool(pool), requests, window=IN_FLIGHT_PER_WORKER * workers)
            finally:
                for a in pool:
                    ray.kill(a)


def _in_order(pool: Any, requests: Iterable[BatchRequest], *, window: int) -> Iterator[BatchResult | BadLine]:
    """The answers in request order, with at most `window` requests sent and not yet collected."""
    sent = 0
    for request in requests:
        pool.submit(lambda actor, r: actor.answer.remote(r), request)
        sent += 1
        if sent >= window:
            yield pool.get_next()
            sent -= 1
    while pool.has_next():
        yield pool.get_next()


class _BatchWorker:
    """A Ray actor: opens the Recommender once, then answers request after request."""

    def __init__(self, settings: Settings) -> None:
        self._error: tuple[str, str] | None = None
        self._recommender: Recommender | None = None
        try:
            self._recommender = Recommender.open(settings.model_copy(update={"encoder_threads": 1}))
        except RecommenderError as exc:  # said once by the driver, as a clear error, instead of a remote traceback
            self._error = (exc.message, exc.hint)

    def ready(self) -> tuple[str, str] | None:
        return self._error

    def answer(self, request: BatchRequest) -> BatchResult | BadLine:
        assert self._recommender is not None, "answer() is called only after ready() found no error"
        return answer_one(self._recommender, request)


def _raise_first_error(errors: list[Any]) -> None:
    for error in errors:
        if error is not None:
            message, hint = error
            raise RecommenderError(f"a Ray worker cannot open the index: {message}", hint=hint)
