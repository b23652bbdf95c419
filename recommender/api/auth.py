"""Who is calling and what they may do: bearer keys, scopes, and the audience a scope decides.

- `buyer` keys (deal rooms) only ever get buyer-facing content, whatever the request body says;
- `seller` keys get internal content too (flagged `internal`), unless they ask for `audience: buyer`;
- `admin` keys may reload the index.

A key is also bound to libraries (recommender/api/libraries.py decides which one a request reaches).

With no keys configured (allowed on a loopback address only) every caller is a local developer
with the seller and admin scopes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from recommender.api.errors import ApiError
from recommender.api.keys import KeyRing, Scope
from recommender.api.libraries import ANY_LIBRARY, Libraries, Library
from recommender.api.limits import RateLimiter
from recommender.api.live import Served
from recommender.api.schemas import LIBRARY_DESCRIPTION
from recommender.models import Audience, RecommendationRequest

ANONYMOUS_SCOPES: frozenset[Scope] = frozenset({"seller", "admin"})
LibraryQuery = Annotated[
    str | None,
    Query(description=LIBRARY_DESCRIPTION, examples=["emea"], max_length=200),
]
bearer = HTTPBearer(
    auto_error=False, description="An API key made with 'recommender keys create', as 'Authorization: Bearer rk_...'."
)


@dataclass(frozen=True)
class Caller:
    name: str
    scopes: frozenset[Scope]
    libraries: frozenset[str] = frozenset()  # the key's binding; ANY_LIBRARY for the local caller without keys

    @property
    def who(self) -> str:
        """How messages name this caller."""
        return "the local caller" if self.libraries == ANY_LIBRARY else f"key '{self.name}'"

    def audience(self, asked: Audience | None = None) -> Audience:
        """The audience this caller is served as: the scope decides, the request may only narrow it."""
        if "seller" not in self.scopes:
            return "buyer"
        return asked or "seller"

    def served(self, request: RecommendationRequest) -> RecommendationRequest:
        """`request` as this caller is served: its audience is the one `audience` allows (an unset one asks none)."""
        asked = request.audience if "audience" in request.model_fields_set else None
        return request.model_copy(update={"audience": self.audience(asked)})


@dataclass(frozen=True)
class Chosen:
    """A request's caller and the library it is answered from."""

    caller: Caller
    library: Library

    @property
    def served(self) -> Served:
        return self.library.current


class Authenticator:
    """Turns the Authorization header into a Caller, checks scopes, and applies the per-key rate."""

    def __init__(self, keys: KeyRing, limiter: RateLimiter) -> None:
        self.keys = keys
        self.limiter = limiter

    def identify(self, credentials: HTTPAuthorizationCredentials | None) -> Caller:
        if not self.keys:
            return Caller("anonymous", ANONYMOUS_SCOPES, ANY_LIBRARY)
        if credentials is None:
            raise _unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
        key = self.keys.match(credentials.credentials)
        if key is None:
            raise _unauthorized("the API key is not valid")
        return Caller(key.name, key.scopes, key.libraries)

    def require(self, *allowed: Scope) -> Callable[..., Awaitable[Caller]]:
        """A FastAPI dependency: the Caller, when its key has one of `allowed` and is within its rate."""

        async def dependency(
            request: Request, credentials: HTTPAuthorizationCredentials | None = Security(bearer)
        ) -> Caller:
            caller = self.identify(credentials)
            request.state.key_name = caller.name
            if not caller.scopes & set(allowed):
                raise ApiError(
                    403,
                    "forbidden",
                    f"key '{caller.name}' may not do this; it needs the {' or '.join(allowed)} scope",
                    details={"required": list(allowed), "scopes": sorted(caller.scopes)},
                )
            self.limiter.check(caller.name)
            return caller

        return dependency

    def chooser(self, libraries: Libraries, *allowed: Scope) -> Callable[..., Awaitable[Chosen]]:
        """A FastAPI dependency: the Caller, as `require` admits it, and the library its binding and the
        request's `library` parameter choose (libraries.Libraries.choose)."""
        require = self.require(*allowed)

        async def dependency(library: LibraryQuery = None, caller: Caller = Depends(require)) -> Chosen:
            return choose(libraries, caller, library)

        return dependency


def choose(libraries: Libraries, caller: Caller, library: str | None) -> Chosen:
    """The library `caller` reaches with the selector `library` (libraries.Libraries.choose)."""
    return Chosen(caller, libraries.choose(caller.libraries, library, caller.who))


def _unauthorized(message: str) -> ApiError:
    details: dict[str, Any] = {"hint": "Ask the server's operator for a key ('recommender keys create')."}
    return ApiError(401, "unauthorized", message, details=details, headers={"WWW-Authenticate": "Bearer"})
