"""Run every audit check over one index snapshot and assemble the typed AuditReport."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import RecommenderError
from indexer.store import IndexSnapshot
from indexer.vocabulary import Vocabulary
from recommender.audit import coverage as cov
from recommender.audit import duplicates as dup
from recommender.audit import freshness as fresh
from recommender.audit.engagement import engagement_findings
from recommender.audit.gaps import problem_gaps, read_problems
from recommender.audit.report import AuditReport, ProblemGaps, Thresholds
from recommender.audit.usage import never_recommended
from recommender.duplicates import ALIGNED, SCREEN
from recommender.events.store import EventStore
from recommender.service import Recommender

STALE_MONTHS = 12


@dataclass(frozen=True)
class AuditOptions:
    today: dt.date
    stale_months: int = STALE_MONTHS
    problems: Path | None = None  # one common buyer problem per line
    results: Path | None = None  # the output of a batch run
    events: EventStore | None = None  # deal-room engagement events
    vocabulary: Vocabulary | None = None


def audit_library(
    snapshot: IndexSnapshot, options: AuditOptions, *, recommender: Recommender | None = None
) -> AuditReport:
    """The whole audit. Problem gaps need a Recommender over the same snapshot (it embeds the problems)."""
    today, documents = options.today, snapshot.documents
    matrix = dup.piece_matrix(snapshot)
    items = dup.item_clusters(snapshot, matrix, today=today)
    return AuditReport(
        index=str(snapshot.path),
        build_id=snapshot.manifest.build_id,
        today=today,
        thresholds=_thresholds(options, snapshot),
        documents=len(documents),
        sendable=len(cov.sendable(documents, today=today)),
        duplicates=tuple(items),
        section_duplicates=tuple(dup.section_clusters(snapshot, matrix, today=today, same_item=items)),
        expired=tuple(fresh.expired_items(documents, today=today)),
        stale=tuple(fresh.stale_items(documents, today=today, months=options.stale_months)),
        undated=tuple(fresh.undated_items(documents)),
        missing_metadata=tuple(fresh.missing_metadata(documents)),
        coverage_roles=cov.coverage(documents, "role", today=today),
        coverage_industries=cov.coverage(documents, "industry", today=today),
        problem_gaps=_gaps(snapshot, options, recommender),
        never_recommended=never_recommended(snapshot, options.results) if options.results else None,
        engagement=engagement_findings(
            snapshot, options.events, today=today, vocabulary=options.vocabulary or Vocabulary()
        )
        if options.events is not None
        else None,
    )


def _gaps(snapshot: IndexSnapshot, options: AuditOptions, recommender: Recommender | None) -> ProblemGaps | None:
    if options.problems is None:
        return None
    if recommender is None or recommender.snapshot is not snapshot:
        raise RecommenderError("checking problem gaps needs a Recommender over the audited index")
    return problem_gaps(recommender, read_problems(options.problems), source=str(options.problems))


def _thresholds(options: AuditOptions, snapshot: IndexSnapshot) -> Thresholds:
    return Thresholds(
        duplicate_screen=SCREEN,
        duplicate_alignment=ALIGNED,
        section_overlap=dup.SECTION_OVERLAP,
        section_min_words=dup.SECTION_MIN_WORDS,
        answers=snapshot.manifest.calibration.answers,
        stale_months=options.stale_months,
        thin_at_most=cov.THIN_AT_MOST,
    )
