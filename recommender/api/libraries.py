"""The libraries one server holds, and the one rule that picks the library a request is answered from.

Each library is its own index folder, loaded build (LiveIndex) and engagement event store; nothing is
shared between them but the encoder in memory. A caller (an API key, a webhook source, the local
seller) is bound to some libraries; `choose` turns that binding and the request's `library` selector
into one library, or refuses:

- a binding of one library needs no selector; a binding of several needs one (422, naming the
  caller's own libraries only);
- a key bound to no library is served only by a server with a single library (fail closed: 403);
- a selector naming a library the caller is not bound to is answered exactly as one that does not
  exist (404, the same code and message), so no caller learns another library's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.embed import Embedder
from indexer.errors import IndexMissingError
from indexer.settings import Settings
from indexer.store import current_build
from indexer.vocabulary import Vocabulary
from recommender.api.errors import ApiError
from recommender.api.live import LiveIndex, Served
from recommender.api.schemas import Ready, ReloadResult
from recommender.events.store import EventStore, existing_store, store_path

ANY_LIBRARY: frozenset[str] = frozenset({"*"})  # the local caller of a server without keys: every library it serves
MAX_ECHOED = 40


@dataclass(frozen=True)
class Library:
    """One served library: its name, the build it answers from, and its own engagement events."""

    name: str
    live: LiveIndex
    history: EventStore | None  # None: no events stored yet, for a reader that must not create the store

    @property
    def current(self) -> Served:
        return self.live.current

    def ready(self) -> Ready:
        return self.current.ready().model_copy(update={"library": self.name})

    def reload(self) -> ReloadResult:
        """Serve this library's newest published build; other libraries' builds are not touched."""
        return self.live.reload().model_copy(update={"library": self.name})


class Libraries:
    """The server's libraries by name, loaded once at start; `choose` is the only way to reach one."""

    def __init__(self, libraries: dict[str, Library]) -> None:
        if not libraries:
            raise ValueError("a server needs at least one library")
        self._libraries = dict(libraries)

    @classmethod
    def load(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        today: Callable[[], dt.date] = dt.date.today,
        read_only: bool = False,
    ) -> Libraries:
        """Every library `settings` names (or its one index as 'default'), loaded now; one encoder is shared
        between libraries built with the same model. `read_only`: no event store is created (recommender mcp)."""
        loaded: dict[str, Library] = {}
        shared: Embedder | None = None
        for name in settings.served_libraries():
            own = settings.for_library(name)
            _check_published(name, own.index, named=bool(settings.libraries))
            history = existing_store(own) if read_only else EventStore(store_path(own))
            live = LiveIndex(own, embedder, today=today, history=history, reuse=shared)
            shared = live.current.recommender.retriever.embedder
            loaded[name] = Library(name, live, history)
        return cls(loaded)

    def __iter__(self) -> Iterator[Library]:
        return iter(self._libraries.values())

    def __len__(self) -> int:
        return len(self._libraries)

    @property
    def vocabulary(self) -> Vocabulary:
        """The stage, role and industry aliases: one settings file for the whole server, so any library's."""
        return next(iter(self)).current.recommender.vocabulary

    def only(self) -> Library | None:
        """The server's library when it serves exactly one."""
        return next(iter(self)) if len(self) == 1 else None

    def allowed(self, bound: frozenset[str], who: str) -> list[Library]:
        """The served libraries a caller bound to `bound` may use (fail closed for an unbound one)."""
        if bound == ANY_LIBRARY:
            return list(self)
        if not bound:
            only = self.only()
            if only is None:
                raise _unbound(who)
            return [only]
        return [library for library in self if library.name in bound]

    def choose(self, bound: frozenset[str], asked: str | None, who: str) -> Library:
        """The library a request from `who` (bound to `bound`) is answered from, `asked` being its selector."""
        allowed = {library.name: library for library in self.allowed(bound, who)}
        if asked is not None:
            if asked not in allowed:
                raise _not_found(who, asked)
            return allowed[asked]
        names = sorted(allowed) if bound in (ANY_LIBRARY, frozenset()) else sorted(bound)
        if len(names) > 1:
            raise ApiError(
                422,
                "library_required",
                f"{who} may use several libraries; choose one with the library parameter",
                details={"field": "library", "libraries": names, "hint": f"Add ?library={names[0]} to the URL."},
            )
        if names[0] not in allowed:
            raise ApiError(
                404,
                "library_not_found",
                f"{who} is bound to library '{names[0]}', which this server does not serve",
                details={"hint": "Ask the server's operator which server serves your library."},
            )
        return allowed[names[0]]


def _check_published(name: str, root: Path, *, named: bool) -> None:
    """A missing index is reported as such (naming its library) before the event store is made beside it."""
    try:
        current_build(root)
    except IndexMissingError as exc:
        if not named:
            raise
        raise IndexMissingError(
            f"library '{name}': {exc.message}",
            hint=f"Build it with 'recommender index PATH --index {root}', or correct its folder in "
            "RECOMMENDER_LIBRARIES (or --library NAME=DIR).",
        ) from exc


def _not_found(who: str, asked: str) -> ApiError:
    """The same answer for a library that does not exist and for one the caller is not bound to."""
    shown = asked[:MAX_ECHOED].encode("unicode_escape").decode("ascii")
    return ApiError(
        404,
        "library_not_found",
        f"{who} has no library '{shown}'",
        details={"field": "library", "hint": "Use a library your key is bound to, or leave library out."},
    )


def _unbound(who: str) -> ApiError:
    return ApiError(
        403,
        "library_unbound",
        f"{who} is bound to no library, and this server serves several",
        details={
            "hint": "Ask the server's operator to bind the key to its library: add ':<library>' to its config line "
            "(recommender keys create --library NAME)."
        },
    )
