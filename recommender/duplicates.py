"""The near-duplicate pairs of one index, looked up by item.

The pairs are found once, when the index is built (`indexer.duplicates`, where the rule lives),
and stored in the build: loading an index does nothing quadratic.
"""

from __future__ import annotations

from collections.abc import Iterable

from indexer.duplicates import ALIGNED, SCREEN, DuplicatePair

__all__ = ["ALIGNED", "SCREEN", "DuplicatePair", "Duplicates"]


class Duplicates:
    """The near-duplicate pairs of one index, looked up by item."""

    def __init__(self, pairs: Iterable[DuplicatePair]) -> None:
        self.pairs = tuple(pairs)
        self._of: dict[int, dict[int, DuplicatePair]] = {}
        for pair in self.pairs:
            self._of.setdefault(pair.first, {})[pair.second] = pair
            self._of.setdefault(pair.second, {})[pair.first] = pair

    def of(self, doc: int) -> dict[int, DuplicatePair]:
        return self._of.get(doc, {})

    def between(self, a: int, b: int) -> DuplicatePair | None:
        return self.of(a).get(b)
