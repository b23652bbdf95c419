"""Limits that keep one caller from hurting the others: a per-key rate, a body cap, a worker pool.

The rate is a token bucket per key: `burst` requests at once, refilled at `per_minute`. The body
cap answers 413 from the Content-Length header when there is one, and otherwise stops reading a
streamed body as soon as it passes the cap.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recommender.api.errors import ApiError

T = TypeVar("T")


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets by key name; `take` answers how many seconds to wait, 0 when allowed."""

    def __init__(self, *, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(key, _Bucket(float(self.burst), now))
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def check(self, key: str) -> None:
        """Raise a 429 ApiError with Retry-After when `key` has used up its rate."""
        wait = self.take(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests for key '{key}'; retry in {seconds} s",
                details={"retry_after_seconds": seconds, "per_minute": self.rate * 60, "burst": self.burst},
                headers={"Retry-After": str(seconds)},
            )


class BodyTooLarge(HTTPException):
    """A 413; an HTTPException so that FastAPI lets it through from the middle of reading a body."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes; send at most {limit}")


class BodyLimit:
    """ASGI middleware: refuse request bodies over `max_bytes` with 413 before they are parsed.

    It raises BodyTooLarge; the request-context middleware around it turns that into the answer.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            raise BodyTooLarge(self.max_bytes)
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        return counted


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class Workers:
    """Runs blocking work (embedding, search) in threads, at most `size` at once, off the event loop."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, func: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:  # one per event loop: a limiter belongs to the loop that made it
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.size)
        return await anyio.to_thread.run_sync(func, *args, limiter=limiter)
