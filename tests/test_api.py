"""The HTTP contract through FastAPI's TestClient: answers, every error status, scopes, limits, reload.

One app per module over the shared corpus index (the real model, loaded once per session);
the reload tests work on their own copy of the index, never on the shared one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.build import BuildOptions, build_index
from indexer.embed import Embedder
from indexer.errors import RecommenderError
from indexer.manifest import manifest_checksum_line
from indexer.store import load_index
from indexer.vocabulary import Vocabulary
from recommender.api.app import create_app
from recommender.api.keys import ApiKey, KeyRing, NewKey, new_key
from recommender.api.settings import ServerSettings

TODAY = dt.date(2026, 11, 27)
PROBLEM = {"problems": ["month-end close takes twelve days"], "max_items": 3}


@pytest.fixture(scope="module")
def keys() -> dict[str, NewKey]:
    return {
        "buyer": new_key("deal-room", ["buyer"]),
        "seller": new_key("seller-desk", ["seller"]),
        "admin": new_key("ops", ["admin"]),
    }


def _settings(index: Path, keys: dict[str, NewKey], **extra: object) -> ServerSettings:
    lines = " ".join(k.key.line() for k in keys.values())
    return ServerSettings.load(
        index=index, api_keys=lines, **{"api_rate_per_minute": 1e6, "api_rate_burst": 10_000, **extra}
    )


@pytest.fixture(scope="module")
def client(corpus_index: Path, embedder: Embedder, keys: dict[str, NewKey]) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(corpus_index, keys), embedder=embedder, today=lambda: TODAY)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def metadata(corpus_index: Path, embedder: Embedder) -> dict:  # type: ignore[type-arg]
    return {d.meta.id: d.meta for d in load_index(corpus_index, model_id=embedder.model_id).documents}


def auth(key: NewKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.secret}"}


def _error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


# ---- answers --------------------------------------------------------------------------------


def test_health_and_ready_need_no_key(client: TestClient) -> None:
    assert client.get("/v1/health").json() == {"status": "ok"}
    ready = client.get("/v1/ready").json()
    assert ready["status"] == "ready" and ready["model"].startswith("all-MiniLM-L6-v2@")
    assert (
        ready["counts"]["documents"] > ready["counts"]["buyer_documents"] > 0
        and ready["build_id"]
        and ready["built_at"]
    )


def test_a_recommendation_is_the_cores_answer(client: TestClient, keys: dict[str, NewKey]) -> None:
    answer = client.post(
        "/v1/recommendations",
        json={**PROBLEM, "stage": "evaluation", "roles": ["controller"]},
        headers=auth(keys["buyer"]),
    ).json()
    assert 1 <= len(answer["items"]) <= 3
    assert answer["recognised"]["stage"] == "requirements-building" and answer["recognised"]["audience"] == "buyer"
    assert all(item["reasons"] and not item["internal"] for item in answer["items"])


def test_a_seller_key_gets_internal_items_flagged_unless_it_asks_for_buyer(
    client: TestClient, keys: dict[str, NewKey]
) -> None:
    body = {"problems": ["a competitor is cheaper than us", "how much discount may I give"], "max_items": 5}
    seller = client.post("/v1/recommendations", json=body, headers=auth(keys["seller"])).json()
    assert seller["recognised"]["audience"] == "seller" and any(item["internal"] for item in seller["items"])
    narrowed = client.post(
        "/v1/recommendations", json={**body, "audience": "buyer"}, headers=auth(keys["seller"])
    ).json()
    assert narrowed["recognised"]["audience"] == "buyer" and not any(item["internal"] for item in narrowed["items"])


def test_ask_recognises_the_buyer_from_free_text(client: TestClient, keys: dict[str, NewKey]) -> None:
    text = "CFO at a regional bank worried about implementation risk, comparing us with two vendors"
    answer = client.post(
        "/v1/ask", json={"text": text, "audience": "seller", "max_items": 3}, headers=auth(keys["buyer"])
    ).json()
    assert answer["recognised"]["roles"] == ["cfo"] and answer["recognised"]["stage"] == "supplier-selection"
    assert answer["recognised"]["audience"] == "buyer", "a buyer key is served as a buyer whatever the body says"
    assert answer["items"] and len(answer["items"]) <= 3


def test_content_lists_and_describes_items(client: TestClient, keys: dict[str, NewKey]) -> None:
    page = client.get(
        "/v1/content", params={"type": "case-study", "role": "cfo", "limit": 3}, headers=auth(keys["buyer"])
    ).json()
    assert page["total"] >= len(page["items"]) > 0 and page["limit"] == 3
    assert all(item["type"] == "case-study" and "cfo" in item["roles"] for item in page["items"])
    detail = client.get(f"/v1/content/{page['items'][0]['id']}", headers=auth(keys["buyer"])).json()
    assert detail["id"] == page["items"][0]["id"] and detail["sections"] and detail["owner"] is None


# ---- who may see what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer rk_not-a-configured-key"}, {"Authorization": "Basic dXNlcjpwYXNz"}]
)
def test_a_missing_or_unknown_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    for response in (
        client.post("/v1/recommendations", json=PROBLEM, headers=headers),
        client.get("/v1/content", headers=headers),
    ):
        _error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_scope_that_does_not_allow_the_action_is_403(client: TestClient, keys: dict[str, NewKey]) -> None:
    _error(client.post("/v1/index/reload", headers=auth(keys["buyer"])), 403, "forbidden")
    _error(client.post("/v1/index/reload", headers=auth(keys["seller"])), 403, "forbidden")
    _error(client.post("/v1/recommendations", json=PROBLEM, headers=auth(keys["admin"])), 403, "forbidden")


def test_a_buyer_key_cannot_reach_internal_or_expired_items_by_id(client: TestClient, keys: dict[str, NewKey]) -> None:
    for item_id in ("int-discount-guidance", "pricing-sheet-2024", "no-such-item"):
        _error(client.get(f"/v1/content/{item_id}", headers=auth(keys["buyer"])), 404, "not_found")
    assert client.get("/v1/content/int-discount-guidance", headers=auth(keys["seller"])).json()["internal"] is True
    assert client.get("/v1/content", params={"audience": "internal"}, headers=auth(keys["buyer"])).json() == {
        "items": [],
        "total": 0,
        "offset": 0,
        "limit": 50,
    }
    error = _error(
        client.post(
            "/v1/recommendations", json={**PROBLEM, "ids": ["int-discount-guidance"]}, headers=auth(keys["buyer"])
        ),
        422,
        "invalid_request",
    )
    assert error["details"]["field"] == "ids"


PHRASES = [
    "what discount can you give us",
    "old price list for the purchase request",
    "implementation free if we sign by year end",
    "how do we win against Closewise",
    "SOC 2 report bridge letter",
    "close summit webinar replay",
    "month-end close takes 12 days",
    "objection handling for a cheaper competitor",
    "discovery call questions",
]
TYPES = ["playbook", "pricing", "webinar", "security", "battlecard", "one-pager", "case-study", "analyst-report"]
ATTRACTIVE = [
    "int-discount-guidance",
    "pricing-sheet-2024",
    "promo-year-end-2025",
    "bc-vs-closewise",
    "cs-harbor-point-close",
    "op-for-cfos",
    "faq-general",
]


@st.composite
def leaky_bodies(draw: st.DrawFn) -> dict:  # type: ignore[type-arg]
    body: dict = {
        "problems": draw(st.lists(st.sampled_from(PHRASES), min_size=1, max_size=3)),
        "max_items": draw(st.integers(1, 20)),
    }
    if draw(st.booleans()):
        body["audience"] = draw(st.sampled_from(["seller", "buyer"]))
    for field in ("include_types", "exclude_types"):
        if draw(st.booleans()):
            body[field] = draw(st.lists(st.sampled_from(TYPES), max_size=3))
    body["already_sent"] = draw(st.lists(st.sampled_from(ATTRACTIVE), max_size=4))
    return body


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=leaky_bodies())
def test_a_buyer_key_never_receives_internal_expired_or_sent_items(
    client: TestClient, keys: dict[str, NewKey], metadata: dict, body: dict
) -> None:  # type: ignore[type-arg]
    visible = _buyer_types(metadata)
    response = client.post("/v1/recommendations", json=body, headers=auth(keys["buyer"]))
    if {*body.get("include_types", []), *body.get("exclude_types", [])} - visible:
        # a type only internal items have is as unknown to a buyer as a made-up one, and the hint names neither
        error = _error(response, 422, "invalid_request")
        assert error["details"]["field"] in ("include_types", "exclude_types")
        assert _named_types(error["details"]["hint"]) == visible
        return
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["recognised"]["audience"] == "buyer"
    for item in answer["items"]:
        meta = metadata[item["id"]]
        assert meta.audience == "buyer" and not item["internal"] and not meta.is_expired(TODAY)
        assert item["id"] not in body["already_sent"]
    asked = client.post(
        "/v1/ask", json={"text": " ".join(body["problems"]), "audience": "seller"}, headers=auth(keys["buyer"])
    ).json()
    assert all(
        metadata[item["id"]].audience == "buyer" and not metadata[item["id"]].is_expired(TODAY)
        for item in asked["items"]
    )
    for kind in body.get("include_types", []):
        listed = client.get("/v1/content", params={"type": kind, "limit": 200}, headers=auth(keys["buyer"])).json()[
            "items"
        ]
        assert all(metadata[item["id"]].audience == "buyer" and not item["expired"] for item in listed)


def _buyer_types(metadata: dict) -> set[str]:  # type: ignore[type-arg]
    return {meta.type for meta in metadata.values() if meta.audience == "buyer" and not meta.is_expired(TODAY)}


def _named_types(hint: str) -> set[str]:
    """The types a hint 'types you may see in this library: a, b, c' names."""
    return set(hint.split(": ", 1)[1].split(", "))


# ---- limits and errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"problems": ["a"] * 11}, "problems"),
        ({"problems": ["x" * 1001]}, "problems.0"),
        ({"problems": ["close"], "max_items": 21}, "max_items"),
        ({"problems": []}, "problems"),
        ({"problems": ["close"], "audience": "everyone"}, "audience"),
    ],
)
def test_request_limits_are_422_naming_the_field(
    client: TestClient, keys: dict[str, NewKey], body: dict, field: str
) -> None:  # type: ignore[type-arg]
    error = _error(client.post("/v1/recommendations", json=body, headers=auth(keys["seller"])), 422, "invalid_request")
    assert error["details"]["field"] == field and field in error["message"]


def test_a_value_the_core_does_not_know_is_422_with_its_hint(client: TestClient, keys: dict[str, NewKey]) -> None:
    error = _error(
        client.post("/v1/recommendations", json={**PROBLEM, "stage": "onboarding"}, headers=auth(keys["seller"])),
        422,
        "invalid_request",
    )
    assert error["details"]["field"] == "stage" and "supplier-selection" in error["details"]["hint"]
    error = _error(
        client.get("/v1/content", params={"type": "poem"}, headers=auth(keys["seller"])), 422, "invalid_request"
    )
    assert error["details"]["field"] == "type"
    error = _error(
        client.post("/v1/ask", json={"text": "x" * 1001}, headers=auth(keys["seller"])), 422, "invalid_request"
    )
    assert error["details"]["field"] == "text"


def test_a_buyer_keys_hints_name_only_types_a_buyer_may_see(
    client: TestClient, keys: dict[str, NewKey], metadata: dict
) -> None:  # type: ignore[type-arg]
    visible = _buyer_types(metadata)
    internal_only = {meta.type for meta in metadata.values()} - visible
    assert "battlecard" in internal_only  # the sample corpus has types only internal items carry
    buyer, seller = auth(keys["buyer"]), auth(keys["seller"])
    for kind in ("nope", "battlecard"):  # an internal-only type is as unknown to a buyer as a made-up one
        error = _error(client.get("/v1/content", params={"type": kind}, headers=buyer), 422, "invalid_request")
        assert error["details"]["field"] == "type" and _named_types(error["details"]["hint"]) == visible
        for field in ("include_types", "exclude_types"):
            body = {**PROBLEM, field: [kind]}
            error = _error(client.post("/v1/recommendations", json=body, headers=buyer), 422, "invalid_request")
            assert error["details"]["field"] == field and _named_types(error["details"]["hint"]) == visible
    error = _error(client.get("/v1/content", params={"type": "nope"}, headers=seller), 422, "invalid_request")
    assert _named_types(error["details"]["hint"]) == visible | internal_only  # a seller is told of every type
    assert client.get("/v1/content", params={"type": "battlecard"}, headers=seller).json()["total"] > 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/recommendations", {**PROBLEM, "max_items": "3"}, "max_items"),
        ("/v1/recommendations", {**PROBLEM, "max_items": True}, "max_items"),
        ("/v1/recommendations", {**PROBLEM, "max_items": 3.0}, "max_items"),
        ("/v1/recommendations", {**PROBLEM, "reading_budget_minutes": "10"}, "reading_budget_minutes"),
        ("/v1/recommendations", {**PROBLEM, "reading_budget_minutes": True}, "reading_budget_minutes"),
        ("/v1/ask", {"text": "cfo worried about the close", "max_items": "3"}, "max_items"),
        ("/v1/ask", {"text": "cfo worried about the close", "max_items": False}, "max_items"),
    ],
)
def test_numbers_must_be_json_numbers(
    client: TestClient, keys: dict[str, NewKey], path: str, body: dict, field: str
) -> None:  # type: ignore[type-arg]
    error = _error(client.post(path, json=body, headers=auth(keys["buyer"])), 422, "invalid_request")
    assert error["details"]["field"] == field
    assert "(a JSON number), not" in error["message"] and json.dumps(body[field]) in error["message"]


def test_a_json_number_is_still_accepted(client: TestClient, keys: dict[str, NewKey]) -> None:
    body = {**PROBLEM, "max_items": 2, "reading_budget_minutes": 30}  # an int is a fine number of minutes
    response = client.post("/v1/recommendations", json=body, headers=auth(keys["buyer"]))
    assert response.status_code == 200 and 0 < len(response.json()["items"]) <= 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PROBLEM, "roles": ["cfo", "   "]}, "roles.1"),
        ({**PROBLEM, "industry": " \t "}, "industry"),
        ({**PROBLEM, "stage": "  "}, "stage"),
        ({**PROBLEM, "already_sent": [" "]}, "already_sent.0"),
        ({**PROBLEM, "include_types": [""]}, "include_types.0"),
        ({"problems": ["month-end close", "   "]}, "problems.1"),
    ],
)
def test_a_blank_value_is_422_never_read_as_empty(
    client: TestClient, keys: dict[str, NewKey], body: dict, field: str
) -> None:  # type: ignore[type-arg]
    error = _error(client.post("/v1/recommendations", json=body, headers=auth(keys["buyer"])), 422, "invalid_request")
    assert error["details"]["field"] == field and "empty (or only whitespace)" in error["message"]


def test_a_blank_filter_or_id_is_422(client: TestClient, keys: dict[str, NewKey]) -> None:
    for params in ({"role": "  "}, {"stage": " "}, {"type": "\t"}):
        error = _error(client.get("/v1/content", params=params, headers=auth(keys["buyer"])), 422, "invalid_request")
        assert error["details"]["field"] == next(iter(params)) and "empty" in error["message"]
    error = _error(client.get("/v1/content/%20%20", headers=auth(keys["buyer"])), 422, "invalid_request")
    assert error["details"]["field"] == "id" and "empty" in error["message"]


def test_roles_are_trimmed_and_recognised(client: TestClient, keys: dict[str, NewKey]) -> None:
    body = {**PROBLEM, "roles": [" cfo "], "industry": " financial-services "}
    recognised = client.post("/v1/recommendations", json=body, headers=auth(keys["buyer"])).json()["recognised"]
    assert recognised["roles"] == ["cfo"] and recognised["industry"] == "financial-services"


@pytest.mark.parametrize(
    ("encoding", "said"),
    [
        ("utf-16", "NUL byte"),
        ("utf-16-le", "NUL byte"),
        ("utf-32", "NUL byte"),
        ("utf-8-sig", "byte-order mark"),
        ("latin-1", "byte 0xe9"),
        ("cp1252", "byte 0xe9"),
    ],
)
def test_a_body_that_is_not_utf8_is_400_saying_why(
    client: TestClient, keys: dict[str, NewKey], encoding: str, said: str
) -> None:
    text = json.dumps({"problems": ["the caf\u00e9 chain's month-end close takes 12 days"]}, ensure_ascii=False)
    data = text.encode(encoding)
    headers = {**auth(keys["buyer"]), "Content-Type": "application/json"}
    for body in (data, (data[i : i + 7] for i in range(0, len(data), 7))):  # whole, and streamed in pieces
        error = _error(client.post("/v1/recommendations", content=body, headers=headers), 400, "bad_request")
        assert "not UTF-8" in error["message"] and said in error["message"]
    assert client.post("/v1/recommendations", content=text.encode(), headers=headers).status_code == 200


def test_a_body_over_64_kib_is_413_whether_declared_or_streamed(client: TestClient, keys: dict[str, NewKey]) -> None:
    big = b'{"problems": ["' + b"x" * (64 * 1024) + b'"]}'
    headers = {**auth(keys["seller"]), "Content-Type": "application/json"}
    _error(client.post("/v1/recommendations", content=big, headers=headers), 413, "payload_too_large")
    _error(
        client.post(
            "/v1/recommendations", content=(big[i : i + 8192] for i in range(0, len(big), 8192)), headers=headers
        ),
        413,
        "payload_too_large",
    )
    _error(client.post("/v1/recommendations", content=big[:60_000] + b'"]}', headers=headers), 422, "invalid_request")


def test_broken_json_unknown_routes_and_methods_answer_in_the_error_shape(
    client: TestClient, keys: dict[str, NewKey]
) -> None:
    headers = {**auth(keys["seller"]), "Content-Type": "application/json"}
    _error(client.post("/v1/recommendations", content=b"{not json", headers=headers), 422, "invalid_request")
    _error(client.get("/v1/nothing-here"), 404, "not_found")
    _error(client.get("/v1/recommendations", headers=auth(keys["seller"])), 405, "method_not_allowed")


def test_the_request_id_is_a_header_in_the_body_and_in_the_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="recommender.api.access"):
        response = client.get("/v1/content/whatever", headers={"X-Request-ID": "deal-room-trace-0042"})
    assert response.headers["X-Request-ID"] == "deal-room-trace-0042" == response.json()["error"]["request_id"]
    assert any("deal-room-trace-0042" in r.getMessage() and " 401 " in r.getMessage() for r in caplog.records)
    with caplog.at_level(logging.INFO, logger="recommender.api.access"):
        client.get("/v1/content/forged%0Arequest%20x%20GET%20/v1/ready%20200")
    assert all("\n" not in r.getMessage() for r in caplog.records), "a path cannot forge a second log line"
    fresh = client.get("/v1/health").headers["X-Request-ID"]
    assert fresh != client.get("/v1/health").headers["X-Request-ID"]


def test_each_key_has_its_own_rate_with_retry_after(
    corpus_index: Path, embedder: Embedder, keys: dict[str, NewKey]
) -> None:
    with TestClient(
        create_app(_settings(corpus_index, keys, api_rate_per_minute=1, api_rate_burst=2), embedder=embedder)
    ) as limited:
        for _ in range(2):
            assert limited.get("/v1/content", headers=auth(keys["buyer"])).status_code == 200
        refused = limited.get("/v1/content", headers=auth(keys["buyer"]))
        _error(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert limited.get("/v1/content", headers=auth(keys["seller"])).status_code == 200


def test_without_keys_a_local_caller_is_a_seller_and_admin(corpus_index: Path, embedder: Embedder) -> None:
    with TestClient(create_app(ServerSettings.load(index=corpus_index), embedder=embedder)) as open_client:
        seller = open_client.post("/v1/recommendations", json={**PROBLEM, "audience": "seller"}).json()
        assert seller["recognised"]["audience"] == "seller"
        assert open_client.post("/v1/index/reload").json()["changed"] is False


# ---- reload ---------------------------------------------------------------------------------


@pytest.fixture
def own_index(corpus_index: Path, tmp_path: Path) -> Path:
    root = tmp_path / "index"
    shutil.copytree(corpus_index, root, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    return root


def publish_tiny_corpus(root: Path, folder: Path, embedder: Embedder, *, title: str = "Payroll in 14 countries") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "payroll.md").write_text(
        f"---\nid: payroll-guide\naudience: buyer\ntype: one-pager\n---\n# {title}\n\n"
        "Run payroll for employees in 14 countries from one place.\n",
        encoding="utf-8",
    )
    (folder / "notes.md").write_text(
        "---\nid: payroll-notes\naudience: internal\n---\n# Payroll sales notes\n\nInternal notes on payroll deals.\n",
        encoding="utf-8",
    )
    return build_index([folder], options=BuildOptions(index=root), embedder=embedder, vocabulary=Vocabulary()).build_id


def test_reload_switches_to_the_newest_build(
    own_index: Path, tmp_path: Path, embedder: Embedder, keys: dict[str, NewKey]
) -> None:
    with TestClient(create_app(_settings(own_index, keys), embedder=embedder)) as api:
        before = api.get("/v1/ready").json()["build_id"]
        assert api.post("/v1/index/reload", headers=auth(keys["admin"])).json()["changed"] is False
        build_id = publish_tiny_corpus(own_index, tmp_path / "tiny", embedder)
        result = api.post("/v1/index/reload", headers=auth(keys["admin"])).json()
        assert result == {**result, "changed": True, "build_id": build_id, "previous_build_id": before, "documents": 2}
        answer = api.post(
            "/v1/recommendations", json={"problems": ["payroll in many countries"]}, headers=auth(keys["buyer"])
        ).json()
        assert answer["index"]["build_id"] == build_id and [item["id"] for item in answer["items"]] == ["payroll-guide"]


@pytest.mark.parametrize(("damage", "code"), [("content", "index_corrupt"), ("model", "model_mismatch")])
def test_a_bad_build_is_refused_and_the_old_one_keeps_serving(
    own_index: Path,
    tmp_path: Path,
    embedder: Embedder,
    keys: dict[str, NewKey],
    damage: str,
    code: str,
) -> None:
    with TestClient(create_app(_settings(own_index, keys), embedder=embedder)) as api:
        serving = api.get("/v1/ready").json()["build_id"]
        publish_tiny_corpus(own_index, tmp_path / "tiny", embedder)
        build = (own_index / "current").resolve()
        if damage == "content":
            with (build / "content.sqlite").open("ab") as handle:
                handle.write(b"damage")
        else:
            manifest = build / "manifest.json"  # a whole build by another model: its manifest checksum matches
            manifest.write_text(
                manifest.read_text(encoding="utf-8").replace(embedder.model_id, "another-model@0000"), encoding="utf-8"
            )
            (build / "manifest.sha256").write_text(manifest_checksum_line(manifest.read_bytes()), encoding="utf-8")
        error = _error(api.post("/v1/index/reload", headers=auth(keys["admin"])), 409, code)
        assert error["details"]["serving_build_id"] == serving and "keeps serving" in error["message"]
        assert api.get("/v1/ready").json()["build_id"] == serving
        assert (
            api.post("/v1/recommendations", json=PROBLEM, headers=auth(keys["buyer"])).json()["index"]["build_id"]
            == serving
        )


def test_a_damaged_manifest_is_refused_at_reload_and_loaded_once_repaired(
    own_index: Path, tmp_path: Path, embedder: Embedder, keys: dict[str, NewKey]
) -> None:
    """The issue's case: a one-bit manifest change answered 200 changed:true, then every request failed with 500."""
    with TestClient(create_app(_settings(own_index, keys), embedder=embedder)) as api:
        serving = api.get("/v1/ready").json()["build_id"]
        new = publish_tiny_corpus(own_index, tmp_path / "tiny", embedder)
        manifest = (own_index / "current").resolve() / "manifest.json"
        good = manifest.read_bytes()
        manifest.write_bytes(good.replace(b'"stopwords": "en"', b'"stopwords": "dn"'))

        error = _error(api.post("/v1/index/reload", headers=auth(keys["admin"])), 409, "index_corrupt")
        assert (
            f"is damaged: manifest.json does not match its checksum in manifest.sha256 (build {new})"
            in (error["message"])
        )
        assert error["message"].endswith(f"build {serving} keeps serving")
        assert error["details"]["hint"] == f"Rebuild it with 'recommender index PATH --index {own_index}'."
        answer = api.post("/v1/recommendations", json=PROBLEM, headers=auth(keys["buyer"]))
        assert answer.status_code == 200 and answer.json()["index"]["build_id"] == serving

        manifest.write_bytes(good)  # repaired: the next reload loads it
        result = api.post("/v1/index/reload", headers=auth(keys["admin"])).json()
        assert result == {**result, "changed": True, "build_id": new, "previous_build_id": serving}
        answer = api.post("/v1/recommendations", json=PROBLEM, headers=auth(keys["buyer"]))
        assert answer.status_code == 200 and answer.json()["index"]["build_id"] == new


# ---- settings and keys ----------------------------------------------------------------------


def test_without_keys_only_a_loopback_address_may_be_served() -> None:
    for host in ("127.0.0.1", "::1", "localhost"):
        assert ServerSettings.load(api_host=host).api_host == host
    with pytest.raises(RecommenderError) as caught:
        ServerSettings.load(api_host="0.0.0.0")
    assert "loopback" in caught.value.message and "recommender keys create" in caught.value.hint
    assert ServerSettings.load(api_host="0.0.0.0", api_keys=new_key("room", ["buyer"]).key.line()).api_host == "0.0.0.0"


def test_settings_come_from_a_file_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    room, ops = new_key("room", ["buyer"]).key, new_key("ops", ["seller", "admin"]).key
    config = tmp_path / "api.toml"
    config.write_text(f'index = "/srv/index"\napi_port = 9000\napi_keys = ["{room.line()}"]\n', encoding="utf-8")
    from_file = ServerSettings.load(config)
    assert (from_file.index, from_file.api_port, from_file.api_keys) == (Path("/srv/index"), 9000, (room,))
    monkeypatch.setenv("RECOMMENDER_API_KEYS", f"{room.line()} {ops.line()}")
    monkeypatch.setenv("RECOMMENDER_API_PORT", "9100")
    both = ServerSettings.load(config, api_port=9200)
    assert both.api_keys == (room, ops) and both.api_port == 9200
    config.write_text("api_prot = 1\n", encoding="utf-8")
    with pytest.raises(RecommenderError, match="api_prot"):
        ServerSettings.load(config)


@pytest.mark.parametrize(
    "line",
    [
        "room:buyer",
        "room:root:" + "0" * 64,
        "room:buyer,seller:" + "0" * 64,
        "room:buyer:notahash",
        "bad name:buyer:" + "0" * 64,
    ],
)
def test_a_bad_key_line_is_refused_with_a_reason(line: str) -> None:
    with pytest.raises(RecommenderError) as caught:
        ServerSettings.load(api_keys=line)
    assert "api_keys" in caught.value.message


def test_keys_are_stored_as_hashes_and_matched_exactly() -> None:
    made = new_key("room", ["buyer", "admin"])
    assert made.secret not in made.key.line() and ApiKey.parse(made.key.line()) == made.key
    ring = KeyRing([new_key("other", ["seller"]).key, made.key])
    assert ring.match(made.secret) == made.key
    assert ring.match(made.secret + "x") is None and ring.match("") is None
