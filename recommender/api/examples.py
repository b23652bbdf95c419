"""Named request examples for the OpenAPI docs at /docs (each one a request that works on the sample corpus)."""

from __future__ import annotations

from fastapi.openapi.models import Example

RECOMMENDATION_EXAMPLES: dict[str, Example] = {
    "deal-room": {
        "summary": "A deal room: the buyer's problems, stage and roles",
        "value": {
            "problems": ["month-end close takes 12 days", "auditors keep asking for reconciliation evidence"],
            "stage": "evaluation",
            "roles": ["cfo", "controller"],
            "industry": "banking",
            "max_items": 3,
        },
    },
    "follow-up": {
        "summary": "A follow-up: skip what was sent, only case studies, within 10 minutes of reading",
        "value": {
            "problems": ["intercompany eliminations take days every month"],
            "already_sent": ["cs-corvane-intercompany"],
            "include_types": ["case-study"],
            "reading_budget_minutes": 10,
        },
    },
    "seller-prep": {
        "summary": "A seller preparing a call (seller key): internal material too, flagged internal",
        "value": {
            "problems": ["a competitor is cheaper than us"],
            "stage": "negotiation",
            "roles": ["procurement"],
            "audience": "seller",
        },
    },
}

ASK_EXAMPLES: dict[str, Example] = {
    "free-text": {
        "summary": "A seller's sentence about the buyer",
        "value": {
            "text": "CFO at a regional bank worried about implementation risk, comparing us with two vendors",
            "max_items": 3,
        },
    },
    "buyer-only": {
        "summary": "A seller asking for what may be sent as it is",
        "value": {"text": "IT security wants to know how we handle SSO and data retention", "audience": "buyer"},
    },
}

CONTENT_ID_EXAMPLE = "cs-harbor-point-close"
