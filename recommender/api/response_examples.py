"""Response examples for the OpenAPI docs: real answers from the sample corpus, shortened.

Each one was captured from the running API over `corpus/` and cut to one or two entries per list;
tests/test_api_docs.py validates every example against its response model, so they cannot drift
from the shapes the API returns.
"""

from __future__ import annotations

from typing import Any

from fastapi.openapi.models import Example

REQUEST_ID_EXAMPLE = "0613ec7d2dc944f0be891c1e1dc0941f"

RECOMMENDATION: dict[str, Any] = {
    "items": [
        {
            "id": "cs-harbor-point-close",
            "title": "Harbor Point Credit Union cuts month-end close from 12 to 6 days",
            "type": "case-study",
            "url": "https://ledgerline.example/resources/harbor-point-case-study",
            "source_path": "case-studies/cs-harbor-point-close.md",
            "internal": False,
            "section": {
                "heading": "Harbor Point Credit Union cuts month-end close from 12 to 6 days",
                "heading_path": ["Harbor Point Credit Union cuts month-end close from 12 to 6 days"],
                "reading_minutes": 1,
            },
            "reading_minutes": 1,
            "item_reading_minutes": 4,
            "score": 3.7317,
            "problems": ["month-end close takes 12 days"],
            "roles": ["cfo"],
            "stages": ["validation", "supplier-selection"],
            "reasons": [
                {
                    "kind": "problem",
                    "text": 'Addresses "month-end close takes 12 days" - see "Harbor Point Credit Union cuts '
                    'month-end close from 12 to 6 days".',
                    "evidence": {
                        "quote": "In 2024 that close took 12 business days.",
                        "section": "Harbor Point Credit Union cuts month-end close from 12 to 6 days",
                        "tags": [],
                    },
                },
                {
                    "kind": "role",
                    "text": "Speaks to the CFO.",
                    "evidence": {"quote": None, "section": None, "tags": ["role:cfo"]},
                },
            ],
        }
    ],
    "gaps": [
        {
            "problem": "we need to automate payroll for 14 countries",
            "message": 'Nothing in the library answers "we need to automate payroll for 14 countries" well; the '
            'closest is "Summit Ridge Analytics reconciles 12 currencies and explains every FX difference" '
            "(answer strength 0.902, below the 1.054 an answer needs in this library).",
            "closest": {
                "id": "cs-summit-ridge-multi-currency",
                "title": "Summit Ridge Analytics reconciles 12 currencies and explains every FX difference",
                "similarity": 0.9017,
            },
        }
    ],
    "trimmed": [
        {
            "id": "cs-harbor-point-snapshot",
            "title": "Customer snapshot: Harbor Point Credit Union",
            "reason": "near-duplicate",
            "detail": "says the same as 'Harbor Point Credit Union cuts month-end close from 12 to 6 days' "
            "(similarity 0.90), which is a better fit for this request",
        },
        {
            "id": "wp-continuous-close",
            "title": "From month-end crunch to continuous close",
            "reason": "max-items",
            "detail": "also answers, left out to keep the set at 1 item(s)",
        },
    ],
    "recognised": {
        "problems": ["month-end close takes 12 days", "we need to automate payroll for 14 countries"],
        "stage": "requirements-building",
        "stage_given": "evaluation",
        "related_stages": ["solution-exploration", "supplier-selection", "validation"],
        "roles": ["cfo"],
        "industry": "financial-services",
        "audience": "buyer",
        "competitors": [],
        "context": [],
    },
    "index": {
        "build_id": "20261130T081707355547Z-5566fa",
        "built_at": "2026-11-30T08:17:10.906758+00:00",
        "documents": 68,
    },
}

ASK: dict[str, Any] = {
    "items": [
        {
            "id": "ar-reconciliation-vendor-landscape",
            "title": "The close and reconciliation software landscape, 2026",
            "type": "analyst-report",
            "url": "https://ledgerline.example/resources/close-software-landscape",
            "source_path": "reports/ar-reconciliation-vendor-landscape.md",
            "internal": False,
            "section": {
                "heading": "3. Lightweight close checklist tools",
                "heading_path": [
                    "The close and reconciliation software landscape, 2026",
                    "The five categories",
                    "3. Lightweight close checklist tools",
                ],
                "reading_minutes": 1,
            },
            "reading_minutes": 1,
            "item_reading_minutes": 6,
            "score": 3.2439,
            "problems": ["how we compare with Closewise"],
            "roles": ["cfo"],
            "stages": ["solution-exploration", "supplier-selection"],
            "reasons": [
                {
                    "kind": "problem",
                    "text": 'Addresses "how we compare with Closewise" - see "3. Lightweight close checklist tools".',
                    "evidence": {
                        "quote": "Closewise is quick to set up - often within a few weeks - and among "
                        "the least expensive dedicated options.",
                        "section": "3. Lightweight close checklist tools",
                        "tags": [],
                    },
                },
                {
                    "kind": "stage",
                    "text": "Made for buyers choosing a supplier (supplier-selection), where this buyer is.",
                    "evidence": {
                        "quote": None,
                        "section": None,
                        "tags": ["stage:solution-exploration", "stage:supplier-selection"],
                    },
                },
            ],
        }
    ],
    "gaps": [],
    "trimmed": [
        {
            "id": "cs-harbor-point-snapshot",
            "title": "Customer snapshot: Harbor Point Credit Union",
            "reason": "max-items",
            "detail": "also answers, left out to keep the set at 1 item(s)",
        }
    ],
    "recognised": {
        "problems": ["worried about implementation risk", "how we compare with Closewise"],
        "stage": "supplier-selection",
        "stage_given": "comparing us with",
        "related_stages": ["requirements-building", "validation", "consensus-creation"],
        "roles": ["cfo"],
        "industry": "financial-services",
        "audience": "buyer",
        "competitors": ["Closewise"],
        "context": ["CFO", "bank", "comparing us with Closewise"],
    },
    "index": {
        "build_id": "20261130T081707355547Z-5566fa",
        "built_at": "2026-11-30T08:17:10.906758+00:00",
        "documents": 68,
    },
}

CONTENT_PAGE: dict[str, Any] = {
    "items": [
        {
            "id": "ar-close-benchmark-2026",
            "title": "2026 Mid-market Close Benchmark",
            "type": "analyst-report",
            "summary": "Survey of 412 mid-market finance teams: the median team closes in 9 business days, but teams "
            "that have automated most reconciliations close in 6. Benchmarks by company size, industry, "
            "entity count and automation level, plus what the fastest quartile does differently.",
            "internal": False,
            "expired": False,
            "stages": ["problem-identification", "solution-exploration"],
            "roles": ["cfo", "controller"],
            "industries": [],
            "products": ["close", "reconcile", "platform"],
            "updated": "2026-06-30",
            "expires": None,
            "url": "https://ledgerline.example/resources/2026-close-benchmark",
            "source_path": "reports/ar-close-benchmark-2026.md",
            "reading_minutes": 13,
            "language": "en",
        }
    ],
    "total": 68,
    "offset": 0,
    "limit": 2,
}

CONTENT_DETAIL: dict[str, Any] = {
    "id": "cs-harbor-point-close",
    "title": "Harbor Point Credit Union cuts month-end close from 12 to 6 days",
    "type": "case-study",
    "summary": "Harbor Point Credit Union ($4.1B in assets, 3 entities) moved 1,900 monthly GL reconciliations out of "
    "spreadsheets and halved its close from 12 to 6 business days, with 71% of reconciliations now "
    "auto-certified.",
    "internal": False,
    "expired": False,
    "stages": ["validation", "supplier-selection"],
    "roles": ["cfo", "controller"],
    "industries": ["financial-services"],
    "products": ["close", "reconcile"],
    "updated": "2026-05-12",
    "expires": None,
    "url": "https://ledgerline.example/resources/harbor-point-case-study",
    "source_path": "case-studies/cs-harbor-point-close.md",
    "reading_minutes": 4,
    "language": "en",
    "problems": [
        "month-end close takes too long",
        "reconciliations done in spreadsheets",
        "no visibility into close status",
        "reviewers spend time on low-risk accounts",
    ],
    "owner": "Dana Whitfield (Product Marketing)",
    "sections": [
        {
            "heading": "Harbor Point Credit Union cuts month-end close from 12 to 6 days",
            "heading_path": ["Harbor Point Credit Union cuts month-end close from 12 to 6 days"],
            "level": 1,
            "reading_minutes": 1,
        },
        {
            "heading": "The situation",
            "heading_path": ["Harbor Point Credit Union cuts month-end close from 12 to 6 days", "The situation"],
            "level": 2,
            "reading_minutes": 1,
        },
    ],
}

HEALTH: dict[str, Any] = {"status": "ok"}

READY: dict[str, Any] = {
    "status": "ready",
    "library": "default",
    "model": "all-MiniLM-L6-v2@b32e67c1cded",
    "build_id": "20261130T081707355547Z-5566fa",
    "built_at": "2026-11-30T08:17:10.906758Z",
    "loaded_at": "2026-11-30T08:25:39.962793Z",
    "counts": {"documents": 68, "buyer_documents": 55, "sections": 626, "pieces": 692},
}

RELOAD: dict[str, Any] = {
    "library": "default",
    "changed": False,
    "build_id": "20261130T081707355547Z-5566fa",
    "previous_build_id": "20261130T081707355547Z-5566fa",
    "built_at": "2026-11-30T08:17:10.906758Z",
    "documents": 68,
}

ERRORS: dict[int, dict[str, Any]] = {
    400: {"code": "bad_request", "message": "There was an error parsing the body", "details": {}},
    401: {
        "code": "unauthorized",
        "message": "an API key is required: send 'Authorization: Bearer <key>'",
        "details": {"hint": "Ask the server's operator for a key ('recommender keys create')."},
    },
    403: {
        "code": "forbidden",
        "message": "key 'deal-room' may not do this; it needs the admin scope",
        "details": {"required": ["admin"], "scopes": ["buyer"]},
    },
    404: {"code": "not_found", "message": "no content item 'nope'", "details": {"id": "nope"}},
    409: {
        "code": "index_corrupt",
        "message": "the index at /srv/recommender/index is damaged: content.sqlite is missing or does not match its "
        "checksum; build 20261130T081707355547Z-5566fa keeps serving",
        "details": {
            "hint": "Rebuild it with 'recommender index PATH --index /srv/recommender/index'.",
            "serving_build_id": "20261130T081707355547Z-5566fa",
        },
    },
    408: {
        "code": "request_timeout",
        "message": "the request body did not arrive within 30 s of its headers; send it at once",
        "details": {},
    },
    413: {
        "code": "payload_too_large",
        "message": "the request body is larger than 65536 bytes; send at most 65536",
        "details": {},
    },
    422: {
        "code": "invalid_request",
        "message": "problems: List should have at least 1 item after validation, not 0",
        "details": {
            "field": "problems",
            "errors": [
                {
                    "field": "problems",
                    "message": "List should have at least 1 item after validation, not 0",
                    "type": "too_short",
                }
            ],
        },
    },
    429: {
        "code": "rate_limited",
        "message": "too many requests for key 'deal-room'; retry in 2 s",
        "details": {"retry_after_seconds": 2, "per_minute": 120.0, "burst": 30},
    },
    503: {
        "code": "index_missing",
        "message": "no index at /srv/recommender/index",
        "details": {
            "hint": "Build one with 'recommender index PATH' (or point --index / RECOMMENDER_INDEX at an existing one)."
        },
    },
}


def error_example(status: int) -> dict[str, Any]:
    """The error body for `status`, as the API sends it."""
    return {"error": {**ERRORS[status], "request_id": REQUEST_ID_EXAMPLE}}


ANSWERS: dict[str, tuple[str, dict[str, Any]]] = {
    "deal_room": ("A buyer key: one item, a gap, what was left out", RECOMMENDATION),
    "free_text": ("Stage, role, industry and a competitor recognised", ASK),
    "page": ("A page of one item", CONTENT_PAGE),
    "item": ("A case study, as a seller key sees it", CONTENT_DETAIL),
    "alive": ("Alive", HEALTH),
    "serving": ("The sample corpus", READY),
    "unchanged": ("Already serving the newest build", RELOAD),
    "all_unchanged": (
        "Two libraries, both already serving their newest build",
        {"libraries": [{**RELOAD, "library": "emea"}, {**RELOAD, "library": "apac"}], "refused": {}},
    ),
    "stored": ("Two events: one new, one already stored under its id", {"stored": 1, "duplicates": 1}),
}


def answer_example(name: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the 200 answer, with the named example of ANSWERS."""
    summary, value = ANSWERS[name]
    return {200: {"content": {"application/json": {"examples": {name: Example(summary=summary, value=value)}}}}}


def with_whole_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Put back the null values FastAPI drops from examples when it writes the OpenAPI document (exclude_none).

    Without them an example such as a content item with `"expires": null` would lack a required field.
    """
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                for name, example in content.get("examples", {}).items():
                    if name in ANSWERS:
                        example["value"] = ANSWERS[name][1]
                if "example" in content and str(status).isdigit() and int(status) in ERRORS:
                    content["example"] = error_example(int(status))
    return document
