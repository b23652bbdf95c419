"""Webhook signatures, in the manner of Stripe's: an HMAC-SHA256 over the timestamp and the raw body.

A deal room sends two headers with every POST /v1/events:

    X-Recommender-Source: acme-dsr
    X-Recommender-Signature: t=1764500000,v1=<hex HMAC-SHA256 of "1764500000." + body, keyed by the source's secret>

The server recomputes the HMAC with the source's secret, compares in constant time, and refuses a
timestamp more than five minutes from its clock, so a captured request cannot be replayed later
(within the window, event ids make a replay harmless).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from indexer.errors import RecommenderError

SOURCE_HEADER = "X-Recommender-Source"
SIGNATURE_HEADER = "X-Recommender-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(RecommenderError):
    """A webhook request that is not signed by a known source, or signed too long ago."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(source: str | None, header: str | None, body: bytes, *, secrets: Mapping[str, str], now: float) -> str:
    """The source that signed `body`; SignatureError says what is wrong."""
    hint = f"Sign as described in the API docs: {SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256>."
    if not source or source not in secrets:
        raise SignatureError(f"unknown or missing {SOURCE_HEADER} '{source or ''}'", hint=hint)
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        raise SignatureError(f"missing or malformed {SIGNATURE_HEADER}", hint=hint)
    timestamp = int(parts["t"])
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError(
            f"the signature's timestamp is {int(now - timestamp)} s from the server's clock; at most "
            f"{TOLERANCE_SECONDS} s are accepted",
            hint="Sign each request when sending it, and keep the sender's clock in sync (NTP).",
        )
    expected = sign(secrets[source], timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"]):
        raise SignatureError("the signature does not match the body", hint=hint)
    return source
