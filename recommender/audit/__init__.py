"""The library audit: near-duplicates, expired and stale items, missing metadata, coverage, gaps.

`audit_library(snapshot, AuditOptions(today=...))` returns a typed AuditReport; `render_html`
turns it into one self-contained page. Nothing here prints or reads the clock.
"""

from recommender.audit.html import render_html
from recommender.audit.report import AuditReport
from recommender.audit.run import STALE_MONTHS, AuditOptions, audit_library

__all__ = ["STALE_MONTHS", "AuditOptions", "AuditReport", "audit_library", "render_html"]
