"""API keys: random secrets handed to clients; the server keeps only their SHA-256 and scopes.

A key is configured as one line, `<name>:<scope>[,<scope>...]:<sha256 hex>[:<library>[,<library>...]]`:

    acme-deal-room:buyer:4f0c...e91a            # no library: only on a server with a single library
    emea-room:buyer:77aa...03c1:emea            # bound to the library 'emea'
    ops:admin:9b1e...c4d2:emea,apac             # may reload both

The libraries a key is bound to are part of its configuration line, not of its secret, so an operator
can bind a key again without handing out a new one.

Keys are 32 random bytes, so a plain SHA-256 is enough (no password stretching is needed), and
a presented key is compared with every configured digest in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from indexer.settings import LibraryNames

Scope = Literal["buyer", "seller", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
KEY_PREFIX = "rk_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def digest(secret: str) -> str:
    """The SHA-256 of a key, as stored in the configuration."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiKey(BaseModel):
    """One configured key: who it is for, what it may do, and the digest of its secret."""

    model_config = ConfigDict(frozen=True)

    name: str
    scopes: frozenset[Scope]
    digest: str
    libraries: LibraryNames = frozenset()  # none: usable only on a server with a single library

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"key name '{value}' may use letters, digits, '.', '_' and '-' only (at most 64)")
        return value

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        if not _DIGEST.match(value):
            raise ValueError(
                "the digest must be 64 lowercase hex characters (a SHA-256), as 'recommender keys create' prints it"
            )
        return value

    @model_validator(mode="after")
    def _one_audience(self) -> ApiKey:
        if not self.scopes:
            raise ValueError(f"key '{self.name}' has no scope; give buyer, seller and/or admin")
        if {"buyer", "seller"} <= self.scopes:
            raise ValueError(
                f"key '{self.name}' has both buyer and seller scopes; a key serves buyers or sellers, not both"
            )
        return self

    @classmethod
    def parse(cls, line: str) -> ApiKey:
        """An ApiKey from its configuration line; ValueError says what is wrong."""
        parts = line.strip().split(":")
        if len(parts) not in (3, 4):
            raise ValueError(
                f"'{_redact(line)}' is not a key line; expected <name>:<scope>[,<scope>]:<sha256>[:<library>[,...]]"
            )
        name, scopes, hexdigest = parts[:3]
        unknown = [s for s in scopes.split(",") if s not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scope(s) {', '.join(unknown)} for key '{name}'; use {', '.join(SCOPES)}")
        libraries = parts[3].split(",") if len(parts) == 4 else []
        return cls(
            name=name,
            scopes=frozenset(scopes.split(",")),  # type: ignore[arg-type]
            digest=hexdigest,
            libraries=frozenset(libraries),
        )

    def line(self) -> str:
        line = f"{self.name}:{','.join(s for s in SCOPES if s in self.scopes)}:{self.digest}"
        return f"{line}:{','.join(sorted(self.libraries))}" if self.libraries else line


@dataclass(frozen=True)
class NewKey:
    secret: str  # shown once, handed to the client
    key: ApiKey  # what the server is configured with


def new_key(name: str, scopes: Iterable[Scope], libraries: Iterable[str] = ()) -> NewKey:
    """A fresh random key and its configuration entry, bound to `libraries` (none: a single-library server's)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, scopes=frozenset(scopes), digest=digest(secret), libraries=frozenset(libraries))
    return NewKey(secret=secret, key=key)


class KeyRing:
    """The configured keys; finds the one a client presented without leaking timing."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._keys = tuple(keys)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def match(self, secret: str) -> ApiKey | None:
        presented = digest(secret)
        found = None
        for key in self._keys:  # every digest is compared, so the time does not say which one matched
            if hmac.compare_digest(presented, key.digest):
                found = key
        return found


def _redact(line: str) -> str:
    return line if len(line) <= 24 else line[:20] + "..."
