"""Connection guards uvicorn lacks: a deadline for a request's headers and a cap on connections per client.

Uvicorn closes idle kept-alive connections, but nothing bounds how long a client may take to send a
request's line and headers: a connection that sends half a header and waits (or trickles one byte at
a time, "slowloris") is held for ever, and every held connection counts against uvicorn's
`limit_concurrency`, past which every request gets 503. An ASGI middleware cannot help, since the
app is only called once the headers are in. So `guarded(protocol, limits)` wraps uvicorn's own HTTP
protocol class (httptools or h11, handed to `uvicorn.run(http=...)`) and adds, per connection:

- a header deadline, armed when the connection opens and again when an answer ends, disarmed when
  the next request's headers are complete; past it the connection gets 408 and is closed (closed
  without an answer when nothing of a request has arrived);
- a cap on the bytes a request's line and headers may take (431 past it);
- a cap on the connections one client address may hold open at once (503 to the extra ones).

The body has its own deadline, kept by `limits.BodyLimit` inside the app.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)
MAX_HEADER_BYTES = 64 * 1024


@dataclass
class ConnectionLimits:
    """The limits every connection of one server shares, and the open connections per client address."""

    header_timeout: float
    per_client: int  # 0: no cap
    max_header_bytes: int = MAX_HEADER_BYTES
    open_by_client: Counter[str] = field(default_factory=Counter)

    def admit(self, client: str) -> bool:
        """Count a new connection from `client`; False (and not counted) when it already holds its cap."""
        if self.per_client and self.open_by_client[client] >= self.per_client:
            return False
        self.open_by_client[client] += 1
        return True

    def release(self, client: str) -> None:
        self.open_by_client[client] -= 1
        if self.open_by_client[client] <= 0:
            del self.open_by_client[client]


def refusal(status: int, reason: str, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 answer in the API's error shape, sent before a request exists (so no request id)."""
    body = json.dumps({"error": {"code": code, "message": message, "details": {}, "request_id": "-"}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def guarded(protocol: type[asyncio.Protocol], limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's HTTP `protocol` class that keeps `limits` (see the module's docstring)."""
    base: Any = protocol  # uvicorn's protocol classes: connection_made, data_received, cycle, transport, loop

    class Guarded(base):
        _client: str | None = None
        _deadline: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            client = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
            if not limits.admit(client):
                log.warning("refused a connection from %s: it already holds %d", client, limits.per_client)
                self._refuse(503, "Service Unavailable", "too_many_connections", _too_many(limits.per_client))
                return
            self._client = client
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._client is not None:
                limits.release(self._client)
                self._client = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            waiting = self._deadline is not None
            before = self.cycle
            super().data_received(data)
            if not waiting:
                return
            if self.cycle is not before:  # the headers of a new request are complete
                self._disarm()
                return
            self._header_bytes += len(data)
            if self._header_bytes > limits.max_header_bytes and not self.transport.is_closing():
                message = f"the request's line and headers are over {limits.max_header_bytes} bytes"
                self._refuse(431, "Request Header Fields Too Large", "headers_too_large", message)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.cycle.response_complete:  # idle, not a pipelined request
                self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._header_bytes = 0
            self._deadline = self.loop.call_later(limits.header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if not self._header_bytes:  # nothing of a request came: close without an answer nobody asked for
                self.transport.close()
                return
            seconds = f"{limits.header_timeout:g}"
            log.info("closed a connection from %s: no complete request headers within %s s", self._client, seconds)
            message = f"the request's line and headers did not arrive within {seconds} s"
            self._refuse(408, "Request Timeout", "request_timeout", message)

        def _refuse(self, status: int, reason: str, code: str, message: str) -> None:
            self._disarm()
            self.transport.write(refusal(status, reason, code, message))
            self.transport.close()

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{protocol.__name__}"
    return Guarded


def _too_many(cap: int) -> str:
    return f"this address already holds {cap} open connections; close some or reuse them (keep-alive)"
