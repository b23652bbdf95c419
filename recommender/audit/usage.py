"""Never recommended: the items no request in a batch run picked - the library's dead weight."""

from __future__ import annotations

from pathlib import Path

from indexer.store import IndexSnapshot
from recommender.audit.report import ItemRef, NeverRecommended
from recommender.batch import read_results


def never_recommended(snapshot: IndexSnapshot, results: Path) -> NeverRecommended:
    """Every item in the index that no result in the batch output `results` contains."""
    found = read_results(results)
    items = tuple(ItemRef.of(d) for d in snapshot.documents if d.meta.id not in found.picked)
    return NeverRecommended(source=str(results), results=found.results, damaged_lines=len(found.damaged), items=items)
