"""Limits that keep one caller from hurting the others: a per-key rate, a body cap and deadline, a worker pool.

The rate is a token bucket per key: `burst` requests at once, refilled at `per_minute`. The body
cap answers 413 from the Content-Length header when there is one, and otherwise stops reading a
streamed body as soon as it passes the cap; a body that has not fully arrived within its deadline
(counted from the end of the headers) gets 408. Connection-level limits are in `connections`.
"""

from __future__ import annotations

import asyncio
import codecs
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


class BodyTooSlow(HTTPException):
    """A 408 for a body that did not arrive in time; an HTTPException for the same reason as BodyTooLarge."""

    def __init__(self, seconds: float) -> None:
        message = f"the request body did not arrive within {seconds:g} s of its headers; send it at once"
        super().__init__(408, message, headers={"Connection": "close"})


class BodyNotUtf8(HTTPException):
    """A 400 for a body that is not UTF-8 text (the API reads JSON in UTF-8 only, as RFC 8259 asks)."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            400, f"the request body is not UTF-8 text: {problem}; send JSON encoded as UTF-8, without a BOM"
        )


class Utf8Check:
    """Checks a body chunk by chunk: UTF-8 only, no byte-order mark, no NUL byte (UTF-16 and UTF-32 have them)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._head = b""
        self._seen = 0

    def feed(self, chunk: bytes, *, final: bool) -> None:
        """Raise BodyNotUtf8 at the first byte that is not UTF-8 JSON text."""
        if len(self._head) < len(codecs.BOM_UTF8):
            self._head = (self._head + chunk)[: len(codecs.BOM_UTF8)]
            if self._head == codecs.BOM_UTF8:
                raise BodyNotUtf8("it starts with a byte-order mark (EF BB BF)")
        nul = chunk.find(0)
        if nul >= 0:
            raise BodyNotUtf8(f"a NUL byte at offset {self._seen + nul} (is it UTF-16 or UTF-32?)")
        pending = bytes(self._decoder.getstate()[0])
        try:
            self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:  # exc.start counts from the start of pending + chunk
            data = pending + chunk
            offset = self._seen - len(pending) + exc.start
            raise BodyNotUtf8(f"byte 0x{data[exc.start : exc.start + 1].hex()} at offset {offset}") from None
        self._seen += len(chunk)


class BodyLimit:
    """ASGI middleware: refuse request bodies over `max_bytes` (413) or slower than `timeout` seconds (408).

    It raises BodyTooLarge or BodyTooSlow; the request-context middleware around it turns that into the answer.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            raise BodyTooLarge(self.max_bytes)
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen, complete = 0, False
        deadline = time.monotonic() + self.timeout
        text = Utf8Check()

        async def counted() -> Message:
            nonlocal seen, complete
            if complete:  # the body is in; waiting for a disconnect has no deadline
                return await receive()
            try:
                with anyio.fail_after(max(0.0, deadline - time.monotonic())):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.timeout) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                text.feed(message.get("body", b""), final=complete)
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
