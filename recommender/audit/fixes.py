"""What to fix first: the audit's findings ranked by what they cost buyers and sellers.

The order is fixed and explained, not scored: first what stops anything reaching a buyer (no
buyer-facing item at all, items with no audience), then what is wrong today (expired items still
marked for buyers, problems nothing answers), then what wastes a buyer's time (near-duplicates),
then what weakens fit (missing type, stages, roles; empty coverage cells), then upkeep (stale and
undated items).
"""

from __future__ import annotations

from recommender.audit.report import AuditReport, Fix


def fix_first(report: AuditReport) -> tuple[Fix, ...]:
    found = [fix for check in _CHECKS if (fix := check(report)) is not None]
    return tuple(fix.model_copy(update={"rank": rank}) for rank, fix in enumerate(found, start=1))


def _nothing_sendable(report: AuditReport) -> Fix | None:
    if report.documents == 0 or report.sendable > 0:
        return None
    buyer = sum(1 for f in report.expired if f.item.audience == "buyer")
    why = f"; the {buyer} buyer-facing ones have expired" if buyer else ""
    return Fix(
        rank=0,
        severity="blocker",
        count=report.documents,
        what=f"0 of {report.documents} items may be sent to buyers{why}",
        action="add 'audience: buyer' front matter to the items buyers may receive (an item without it is "
        "internal and never reaches a buyer)",
    )


def _no_audience(report: AuditReport) -> Fix | None:
    missing = [m for m in report.missing_metadata if "audience" in m.missing]
    if not missing or report.sendable == 0:
        return None
    return Fix(
        rank=0,
        severity="high",
        count=len(missing),
        what=f"{len(missing)} items have no 'audience' and are treated as internal",
        action="mark the buyer-facing ones 'audience: buyer' and the rest 'audience: internal', so nothing "
        "is hidden or shown by accident",
    )


def _expired(report: AuditReport) -> Fix | None:
    expired = sum(1 for f in report.expired if f.status == "expired")
    withheld = len(report.expired) - expired
    if not report.expired:
        return None
    parts = [f"{expired} items have expired and are never recommended"] if expired else []
    if withheld:
        parts.append(f"{withheld} items have an 'expires' that is not a date and are withheld from buyers")
    return Fix(
        rank=0,
        severity="high",
        count=len(report.expired),
        what="; ".join(parts),
        action="renew them (new 'expires' and 'updated' dates, written YYYY-MM-DD) or remove them",
    )


def _problem_gaps(report: AuditReport) -> Fix | None:
    gaps = report.problem_gaps
    if gaps is None or not gaps.gaps:
        return None
    return Fix(
        rank=0,
        severity="high",
        count=len(gaps.gaps),
        what=f"{len(gaps.gaps)} of {gaps.checked} common buyer problems have no answer a buyer may receive",
        action="write content for them, or mark existing answers 'audience: buyer' (see 'Problem gaps')",
    )


def _duplicates(report: AuditReport) -> Fix | None:
    count = len(report.duplicates)
    if not count:
        return None
    return Fix(
        rank=0,
        severity="medium",
        count=count,
        what=f"{count} groups of near-duplicate items (only one of each is ever sent)",
        action="keep the item named in each group's advice; retire or merge the others",
    )


def _untagged(report: AuditReport) -> Fix | None:
    missing = [m for m in report.missing_metadata if {"stages", "roles"} & set(m.missing)]
    if not missing:
        return None
    return Fix(
        rank=0,
        severity="medium",
        count=len(missing),
        what=f"{len(missing)} items have no stages or roles, so they cannot be fitted to a buyer",
        action="review the suggested type, stages and roles ('recommender audit --suggest FILE') and apply them "
        "('recommender apply-metadata FILE')",
    )


def _empty_cells(report: AuditReport) -> Fix | None:
    empty = report.coverage_roles.flagged("empty")
    tagged = report.sendable - len(report.coverage_roles.untagged)
    if not empty or tagged <= 0:
        return None
    return Fix(
        rank=0,
        severity="medium",
        count=len(empty),
        what=f"{len(empty)} buying job x role cells have no sendable item",
        action="plan content for the empty cells of the coverage table, starting with the roles you sell to most",
    )


def _stale(report: AuditReport) -> Fix | None:
    count = len(report.stale) + len(report.undated)
    if not count:
        return None
    return Fix(
        rank=0,
        severity="low",
        count=count,
        what=f"{len(report.stale)} items are stale and {len(report.undated)} have no 'updated' date",
        action=f"review and date them ('updated'); stale means not updated for {report.thresholds.stale_months} months",
    )


_CHECKS = (_nothing_sendable, _no_audience, _expired, _problem_gaps, _duplicates, _untagged, _empty_cells, _stale)
