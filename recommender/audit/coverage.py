"""Coverage: buying job x role (and x industry), counting the items a buyer can be sent today.

An item counts when it is buyer-facing (`audience: buyer`) and not expired, in every cell of
its tagged stages x its tagged roles (or industries). Items missing either tag count in no cell;
they are listed as untagged, because the recommender cannot fit them to a stage or a role either.
A cell with no item is empty; with `THIN_AT_MOST` items or fewer it is thin - one retirement away
from a gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from indexer.store import StoredDocument
from indexer.vocabulary import INDUSTRIES, ROLES, STAGES
from recommender.audit.report import CoverageCell, CoverageMatrix
from recommender.policy import may_see

THIN_AT_MOST = 1
Dimension = Literal["role", "industry"]


def sendable(documents: Sequence[StoredDocument], *, today: dt.date) -> list[StoredDocument]:
    """Buyer-facing items that are not expired (nor withheld): what a buyer can be sent today."""
    return [d for d in documents if may_see(d.meta, "buyer", today)]


def coverage(
    documents: Sequence[StoredDocument], dimension: Dimension, *, today: dt.date, thin_at_most: int = THIN_AT_MOST
) -> CoverageMatrix:
    items = sendable(documents, today=today)
    columns = ROLES if dimension == "role" else INDUSTRIES
    cells = tuple(_cell(items, stage, column, dimension, thin_at_most) for stage in STAGES for column in columns)
    untagged = tuple(d.meta.id for d in items if not d.meta.stages or not _tags(d, dimension))
    return CoverageMatrix(
        dimension=dimension, stages=STAGES, columns=columns, cells=cells, thin_at_most=thin_at_most, untagged=untagged
    )


def _cell(
    items: Sequence[StoredDocument], stage: str, column: str, dimension: Dimension, thin_at_most: int
) -> CoverageCell:
    ids = tuple(d.meta.id for d in items if stage in d.meta.stages and column in _tags(d, dimension))
    flag: Literal["empty", "thin", "ok"] = "empty" if not ids else ("thin" if len(ids) <= thin_at_most else "ok")
    return CoverageCell(stage=stage, column=column, count=len(ids), items=ids, flag=flag)


def _tags(document: StoredDocument, dimension: Dimension) -> tuple[str, ...]:
    return document.meta.roles if dimension == "role" else document.meta.industries
