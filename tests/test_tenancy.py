"""Several libraries on one server (issue 13): settings, keys bound to libraries, the `library` selector,
per-library reload and events, and over 1,000 adversarial requests through FastAPI's TestClient in which the
keys of library A try every way to see anything of library B (and a sample the other way round).

Library A ("alpha") is the sample corpus, library B ("beta") the tiny tests/data/tenant_b, whose ids, titles
and text carry marker words no file of the sample corpus has.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from typer.testing import CliRunner

from indexer.build import BuildOptions, build_index
from indexer.embed import Embedder
from indexer.errors import RecommenderError
from indexer.settings import Settings
from indexer.store import load_index
from indexer.vocabulary import Vocabulary
from recommender.api.app import create_app
from recommender.api.keys import ApiKey, NewKey, new_key
from recommender.api.settings import ServerSettings, WebhookSource
from recommender.cli import app as cli_app
from recommender.events.signature import SIGNATURE_HEADER, SOURCE_HEADER, sign
from tests.conftest import CORPUS, TENANT_B

TODAY = dt.date(2026, 11, 27)
SECRET_A, SECRET_B = "a" * 32, "b" * 32
B_IDS = ["zorblax-ledger-guide", "zorblax-security-answers", "zorblax-discount-playbook", "zorblax-roi-case"]
B_WORDS = ["quixotrel", "vantablue", "zorblax", "hologram-brief", "harbourworks", "pellmore", "tenant_b"]
SPOOFS = [
    "beta",
    "BETA",
    "Beta",
    " beta",
    "beta ",
    "beta\u200b",
    "\uff42\uff45\uff54\uff41",  # full-width
    "b\u0435ta",  # a Cyrillic e
    "beta\x00",
    "alpha,beta",
    "beta,alpha",
    "alpha beta",
    "*",
    "../beta",
    "alpha/../beta",
    "",
    "default",
    "gamma",
    "ALPHA",
]
B_TEXT = "quixotrel ledger fusion for vantablue finance teams zorblax engine"
PROBLEM = {"problems": ["month-end close takes twelve days"], "max_items": 3}


# ---- the two libraries, keys and the app ----------------------------------------------------


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory, corpus_index: Path, tenant_b_index: Path) -> dict[str, Path]:
    """Copies of both indexes: this module writes events into them."""
    base = tmp_path_factory.mktemp("libraries")
    copies = {"alpha": base / "alpha", "beta": base / "beta"}
    for source, target in ((corpus_index, copies["alpha"]), (tenant_b_index, copies["beta"])):
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".lock", "events"))
    return copies


@pytest.fixture(scope="module")
def keys() -> dict[str, NewKey]:
    return {
        "a_buyer": new_key("a-room", ["buyer"], ["alpha"]),
        "a_seller": new_key("a-desk", ["seller"], ["alpha"]),
        "b_buyer": new_key("b-room", ["buyer"], ["beta"]),
        "b_seller": new_key("b-desk", ["seller"], ["beta"]),
        "both": new_key("both-desk", ["seller"], ["alpha", "beta"]),
        "unbound": new_key("nowhere", ["seller"]),
        "ghost": new_key("ghost", ["seller"], ["gamma"]),
        "a_admin": new_key("a-ops", ["admin"], ["alpha"]),
        "all_admin": new_key("ops", ["admin"], ["alpha", "beta"]),
        "unbound_admin": new_key("root", ["admin"]),
    }


def server_settings(roots: dict[str, Path], keys: dict[str, NewKey]) -> ServerSettings:
    return ServerSettings.load(
        libraries=[f"{name}={path}" for name, path in roots.items()],
        api_keys=" ".join(k.key.line() for k in keys.values()),
        events_secrets=f"room-a@alpha:{SECRET_A} room-b@beta:{SECRET_B} room-x:{'x' * 32}",
        api_rate_per_minute=1e6,
        api_rate_burst=100_000,
    )


@pytest.fixture(scope="module")
def client(roots: dict[str, Path], keys: dict[str, NewKey], embedder: Embedder) -> Iterator[TestClient]:
    app = create_app(server_settings(roots, keys), embedder=embedder, today=lambda: TODAY)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def markers(tenant_b_index: Path, embedder: Embedder) -> list[str]:
    """Every id, title and source path of library B, and its marker words: none may reach a key of A."""
    documents = load_index(tenant_b_index, model_id=embedder.model_id).documents
    found = [d.meta.id for d in documents] + [d.meta.title for d in documents]
    found += [d.rel_path for d in documents]
    assert sorted(d.meta.id for d in documents) == sorted(B_IDS)
    return [m.lower() for m in found + B_WORDS]


@pytest.fixture(scope="module")
def a_markers(corpus_index: Path, embedder: Embedder) -> list[str]:
    """Library A's ids and titles long enough not to be ordinary words."""
    documents = load_index(corpus_index, model_id=embedder.model_id).documents
    found = [d.meta.id for d in documents if len(d.meta.id) >= 10] + [d.meta.title for d in documents]
    return [m.lower() for m in found if len(m) >= 10]


def auth(key: NewKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.secret}"}


def _error(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def leaked(response: Response, request: Any, markers: list[str]) -> list[str]:
    """The markers in the answer that the request did not itself send (an echo of the caller's input is none)."""
    sent = unquote(json.dumps(request, default=str)).lower()
    text = response.text.lower() + json.dumps(dict(response.headers)).lower()
    return [m for m in markers if m in text and m not in sent]


def mcp(client: TestClient, key: NewKey, tool: str, arguments: dict[str, Any]) -> Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    headers = {
        **auth(key),
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-06-18",
        "Host": "127.0.0.1:8000",  # the MCP transport accepts only the host it serves
    }
    return client.post("/mcp/", json=body, headers=headers)


def mcp_result(response: Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def signed(source: str, secret: str, events: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(events).encode()
    headers = {
        SOURCE_HEADER: source,
        SIGNATURE_HEADER: sign(secret, int(time.time()), raw),
        "Content-Type": "application/json",
    }
    return raw, headers


def event(event_id: str, deal_id: str, content_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "deal_id": deal_id,
        "content_id": content_id,
        "type": "sent",
        "at": "2026-11-20T10:00:00Z",
    }


# ---- settings and keys ----------------------------------------------------------------------


def test_libraries_come_from_the_environment_as_name_equals_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_LIBRARIES", "emea=/srv/emea, apac=/srv/apac")
    settings = Settings()
    assert settings.served_libraries() == {"emea": Path("/srv/emea"), "apac": Path("/srv/apac")}
    assert settings.for_library("apac").index == Path("/srv/apac") and settings.for_library("apac").events is None
    monkeypatch.delenv("RECOMMENDER_LIBRARIES")
    assert Settings(index=Path("/srv/one")).served_libraries() == {"default": Path("/srv/one")}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("EMEA=/srv/emea", "'EMEA' is not a library name"),
        ("emea", "'emea' is not a library entry; expected NAME=DIR"),
        ("emea=/srv/a,emea=/srv/b", "library 'emea' is named twice"),
        ("emea=/srv/a,apac=/srv/a", "two libraries share one index folder"),
        ("-x=/srv/a", "'-x' is not a library name"),
    ],
)
def test_a_bad_library_entry_is_a_clear_startup_error(entries: str, message: str) -> None:
    with pytest.raises(RecommenderError) as caught:
        ServerSettings.load(libraries=entries)
    assert message in caught.value.message and caught.value.message.startswith("the server settings are not valid")


def test_one_event_store_for_several_libraries_is_refused() -> None:
    with pytest.raises(RecommenderError) as caught:
        ServerSettings.load(libraries="emea=/srv/emea,apac=/srv/apac", events="/srv/events.sqlite3")
    assert "each keeps its own" in caught.value.message


def test_key_and_webhook_lines_carry_their_libraries() -> None:
    made = new_key("emea-room", ["buyer"], ["emea", "apac"])
    line = made.key.line()
    assert line.endswith(":apac,emea") and ApiKey.parse(line) == made.key
    assert ApiKey.parse(new_key("room", ["buyer"]).key.line()).libraries == frozenset()
    with pytest.raises(ValueError, match="is not a library name"):
        ApiKey.parse(line.rsplit(":", 1)[0] + ":EMEA")
    source = WebhookSource.parse(f"dsr@emea,apac:{'s:' * 16}")
    assert source.name == "dsr" and source.libraries == {"emea", "apac"} and source.secret == "s:" * 16
    assert "s:s:" not in repr(source)


def test_keys_create_binds_a_key_to_libraries() -> None:
    result = CliRunner().invoke(
        cli_app, ["keys", "create", "--name", "emea-room", "--scope", "buyer", "--library", "emea"]
    )
    assert result.exit_code == 0, result.output
    config = next(line for line in result.stdout.splitlines() if line.startswith("config: "))
    assert ApiKey.parse(config.removeprefix("config: ")).libraries == {"emea"}
    bad = CliRunner().invoke(cli_app, ["keys", "create", "--name", "x", "--scope", "buyer", "--library", "Emea!"])
    assert bad.exit_code == 1 and "is not a library name" in " ".join(bad.output.split())


def test_serve_refuses_a_bad_library_option_before_loading_anything(tmp_path: Path) -> None:
    def output(*args: str) -> str:
        result = CliRunner().invoke(cli_app, ["serve", *args])
        assert result.exit_code == 1 and "Traceback" not in result.output
        return " ".join(result.output.split())  # rich wraps long lines

    assert "'Emea' is not a library name" in output("--library", "Emea=/srv/emea")
    assert "not both" in output("--index", str(tmp_path), "--library", f"emea={tmp_path}")
    assert str(tmp_path / "nothing") in output("--library", f"emea={tmp_path / 'nothing'}").replace(" ", "")


# ---- the binding and the selector -----------------------------------------------------------


def test_a_key_bound_to_one_library_is_answered_from_it(client: TestClient, keys: dict[str, NewKey]) -> None:
    a = client.get("/v1/content", params={"limit": 200}, headers=auth(keys["a_seller"])).json()
    b = client.get("/v1/content", params={"limit": 200}, headers=auth(keys["b_seller"])).json()
    assert sorted(item["id"] for item in b["items"]) == sorted(B_IDS)
    assert a["total"] > 20 and not {item["id"] for item in a["items"]} & set(B_IDS)
    answer = client.post("/v1/ask", json={"text": B_TEXT}, headers=auth(keys["b_buyer"])).json()
    assert answer["items"] and {item["id"] for item in answer["items"]} <= set(B_IDS) - {"zorblax-discount-playbook"}


def test_a_key_bound_to_several_chooses_with_the_library_parameter(client: TestClient, keys: dict[str, NewKey]) -> None:
    error = _error(client.get("/v1/content", headers=auth(keys["both"])), 422, "library_required")
    assert error["details"]["libraries"] == ["alpha", "beta"] and error["details"]["field"] == "library"
    b = client.get("/v1/content", params={"library": "beta"}, headers=auth(keys["both"])).json()
    assert sorted(item["id"] for item in b["items"]) == sorted(B_IDS)
    a = client.post("/v1/recommendations", params={"library": "alpha"}, json=PROBLEM, headers=auth(keys["both"]))
    assert a.status_code == 200 and not {item["id"] for item in a.json()["items"]} & set(B_IDS)
    item = client.get("/v1/content/zorblax-roi-case", params={"library": "beta"}, headers=auth(keys["both"]))
    assert item.status_code == 200 and item.json()["title"] == "Vantablue Harbourworks cut its close with quixotrel"


def test_an_unbound_key_is_refused_on_a_server_with_several_libraries(
    client: TestClient, keys: dict[str, NewKey]
) -> None:
    for response in (
        client.get("/v1/content", headers=auth(keys["unbound"])),
        client.post("/v1/recommendations", json=PROBLEM, headers=auth(keys["unbound"])),
        client.get("/v1/content", params={"library": "alpha"}, headers=auth(keys["unbound"])),
        client.get("/ui/library/filters", headers=auth(keys["unbound"])),
        client.post("/v1/index/reload", headers=auth(keys["unbound_admin"])),
        client.post("/v1/index/reload-all", headers=auth(keys["unbound_admin"])),
    ):
        error = _error(response, 403, "library_unbound")
        assert "alpha" not in response.text and "beta" not in response.text and "--library" in error["details"]["hint"]
    assert "bound to no library" in mcp_result(mcp(client, keys["unbound"], "search_library", {}))["content"][0]["text"]


def test_another_librarys_name_is_answered_exactly_as_one_that_does_not_exist(
    client: TestClient, keys: dict[str, NewKey]
) -> None:
    """No existence oracle: 'beta' (served, not the key's) and 'gamma'/'nosuch' (not served) get the same answer."""

    def answer(name: str, key: str, method: str, url: str) -> tuple[int, str]:
        response = client.request(method, url, params={"library": name}, json=PROBLEM, headers=auth(keys[key]))
        body = response.json()["error"]
        body.pop("request_id")
        return response.status_code, json.dumps(body).replace(name, "NAME")

    for key, method, url in [
        ("a_buyer", "GET", "/v1/content"),
        ("a_seller", "GET", "/v1/content/zorblax-ledger-guide"),
        ("a_buyer", "POST", "/v1/recommendations"),
        ("a_seller", "GET", "/ui/library/items"),
        ("a_admin", "POST", "/v1/index/reload"),
        ("a_buyer", "GET", "/v1/ready"),
        ("ghost", "GET", "/v1/content"),
    ]:
        seen = {answer(name, key, method, url) for name in ("beta", "gamma", "nosuch")}
        assert len(seen) == 1, seen
        ((status, body),) = seen
        assert status == 404 and "library_not_found" in body


def test_a_key_bound_to_a_library_the_server_does_not_serve_gets_nothing(
    client: TestClient, keys: dict[str, NewKey]
) -> None:
    response = client.get("/v1/content", headers=auth(keys["ghost"]))
    error = _error(response, 404, "library_not_found")
    assert "'gamma'" in error["message"] and "alpha" not in response.text and "beta" not in response.text


def test_ready_says_only_ready_without_a_key_and_the_keys_library_with_one(
    client: TestClient, keys: dict[str, NewKey]
) -> None:
    anonymous = client.get("/v1/ready").json()
    assert anonymous["status"] == "ready" and anonymous["library"] is None and anonymous["build_id"] is None
    assert "alpha" not in json.dumps(anonymous) and "beta" not in json.dumps(anonymous)
    b = client.get("/v1/ready", headers=auth(keys["b_buyer"])).json()
    assert b["library"] == "beta" and b["counts"]["documents"] == 4
    _error(client.get("/v1/ready", params={"library": "beta"}), 401, "unauthorized")


# ---- events, deal memory and reload, per library --------------------------------------------


def test_each_library_keeps_its_own_events_and_deal_memory(
    client: TestClient, keys: dict[str, NewKey], roots: dict[str, Path]
) -> None:
    raw, headers = signed("room-b", SECRET_B, [event("b-1", "deal-shared", "zorblax-roi-case")])
    assert client.post("/v1/events", content=raw, headers=headers).json() == {"stored": 1, "duplicates": 0}
    raw, headers = signed("room-a", SECRET_A, [event("a-1", "deal-shared", "cs-harbor-point-close")])
    assert client.post("/v1/events", content=raw, headers=headers).json()["stored"] == 1
    raw, headers = signed("room-a", SECRET_A, [event("a-2", "deal-shared", "zorblax-ledger-guide")])
    _error(
        client.post("/v1/events", params={"library": "beta"}, content=raw, headers=headers), 404, "library_not_found"
    )
    raw, headers = signed("room-x", "x" * 32, [event("x-1", "deal-shared", "cs-harbor-point-close")])
    _error(client.post("/v1/events", content=raw, headers=headers), 403, "library_unbound")
    assert (roots["alpha"] / "events" / "events.sqlite3").is_file() and (roots["beta"] / "events").is_dir()

    body = {**PROBLEM, "deal_id": "deal-shared", "problems": ["month-end close", "reconciliation evidence"]}
    a = client.post("/v1/recommendations", json=body, headers=auth(keys["a_buyer"])).json()
    assert a["deal"]["sent"] == ["cs-harbor-point-close"] and "zorblax" not in json.dumps(a)
    b = client.post("/v1/recommendations", json=body, headers=auth(keys["b_buyer"])).json()
    assert b["deal"]["sent"] == ["zorblax-roi-case"] and "harbor" not in json.dumps(b).lower()


@pytest.fixture
def own_roots(roots: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    copies = {name: tmp_path / name for name in roots}
    for name, root in roots.items():
        shutil.copytree(root, copies[name], symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    return copies


def test_reloading_one_library_never_touches_another(
    own_roots: dict[str, Path], keys: dict[str, NewKey], embedder: Embedder, tmp_path: Path
) -> None:
    with TestClient(create_app(server_settings(own_roots, keys), embedder=embedder, today=lambda: TODAY)) as api:
        before = {
            name: api.get("/v1/ready", headers=auth(keys["both"]), params={"library": name}).json()
            for name in own_roots
        }
        folder = tmp_path / "b2"
        shutil.copytree(TENANT_B, folder)
        (folder / "zorblax-new.md").write_text("---\nid: zorblax-new\naudience: buyer\n---\n# Quixotrel news\n\nNew.\n")
        new = build_index(
            [folder], options=BuildOptions(index=own_roots["beta"]), embedder=embedder, vocabulary=Vocabulary()
        )

        _error(
            api.post("/v1/index/reload", params={"library": "beta"}, headers=auth(keys["a_admin"])),
            404,
            "library_not_found",
        )
        only_a = api.post("/v1/index/reload-all", headers=auth(keys["a_admin"])).json()
        assert [r["library"] for r in only_a["libraries"]] == ["alpha"] and only_a["libraries"][0]["changed"] is False
        _error(api.post("/v1/index/reload", headers=auth(keys["all_admin"])), 422, "library_required")

        result = api.post("/v1/index/reload", params={"library": "beta"}, headers=auth(keys["all_admin"])).json()
        assert result == {**result, "library": "beta", "changed": True, "build_id": new.build_id, "documents": 5}
        after = {
            name: api.get("/v1/ready", headers=auth(keys["both"]), params={"library": name}).json()
            for name in own_roots
        }
        assert after["alpha"] == before["alpha"], "reloading beta changed alpha's snapshot"
        assert after["beta"]["build_id"] == new.build_id != before["beta"]["build_id"]
        assert "zorblax-new" in api.get("/v1/content", headers=auth(keys["b_buyer"])).text
        assert "zorblax-new" not in api.get("/v1/content", params={"limit": 200}, headers=auth(keys["a_seller"])).text
        everything = api.post("/v1/index/reload-all", headers=auth(keys["all_admin"])).json()
        assert {r["library"]: r["changed"] for r in everything["libraries"]} == {"alpha": False, "beta": False}


# ---- web page and MCP -----------------------------------------------------------------------


def test_the_web_fragments_and_mcp_follow_the_binding(client: TestClient, keys: dict[str, NewKey]) -> None:
    b_items = client.get("/ui/library/items", params={"limit": 200}, headers=auth(keys["b_seller"])).text
    assert all(item in b_items for item in B_IDS)
    a_items = client.get("/ui/library/items", params={"limit": 200}, headers=auth(keys["a_seller"])).text
    assert "cs-harbor-point-close" in a_items and "zorblax" not in a_items
    found = mcp_result(mcp(client, keys["b_seller"], "search_library", {"limit": 50}))
    assert sorted(i["id"] for i in found["structuredContent"]["items"]) == sorted(B_IDS)
    chosen = mcp_result(mcp(client, keys["both"], "get_content", {"id": "zorblax-roi-case", "library": "beta"}))
    assert "Harbourworks" in chosen["structuredContent"]["text"]
    refused = mcp_result(mcp(client, keys["a_seller"], "get_content", {"id": "zorblax-roi-case", "library": "beta"}))
    assert refused["isError"] and "has no library 'beta'" in refused["content"][0]["text"]


# ---- adversarial: 1,000+ requests from library A's keys -------------------------------------


def attacks(keys: dict[str, NewKey]) -> Iterator[tuple[NewKey, str, str, dict[str, Any]]]:
    """(key, method, url, request options) for every way a key of A might reach B."""
    selectors: list[str | None] = [None, *SPOOFS]
    for key in (keys["a_buyer"], keys["a_seller"]):
        for b_id, library in itertools.product([*B_IDS, B_IDS[0].upper()], selectors):
            params = {} if library is None else {"library": library}
            yield key, "GET", f"/v1/content/{b_id}", {"params": params}
            yield key, "GET", f"/ui/library/items/{b_id}", {"params": params}
        for library in selectors:
            params = {} if library is None else {"library": library}
            for filters in ({"type": "hologram-brief"}, {"owner": "Pellmore"}, {"limit": 200}, {"role": "it-security"}):
                yield key, "GET", "/v1/content", {"params": {**filters, **params}}
                yield key, "GET", "/ui/library/items", {"params": {**filters, **params}}
            for url in ("/ui/sent-options", "/ui/library/filters", "/v1/ready"):
                yield key, "GET", url, {"params": params}
        for library in [None, "beta", "BETA", "alpha,beta", "*", "gamma"]:
            params = {} if library is None else {"library": library}
            for body in (
                {"problems": [B_TEXT], "max_items": 20},
                {"problems": [B_TEXT], "already_sent": B_IDS, "audience": "seller", "max_items": 20},
                {"problems": [B_TEXT], "include_types": ["hologram-brief"]},
                {"problems": ["month-end close"], "deal_id": "deal-shared", "ids": B_IDS[:1]},
                {"problems": [B_TEXT], "library": "beta"},
            ):
                yield key, "POST", "/v1/recommendations", {"params": params, "json": body}
                yield key, "POST", "/ui/recommend", {"params": params, "json": body}
            yield key, "POST", "/v1/ask", {"params": params, "json": {"text": B_TEXT, "audience": "seller"}}
            yield key, "GET", "/ui/audit", {"params": params}
        for header in ("X-Library", "X-Recommender-Library", "Library", "X-Forwarded-Prefix", "Cookie"):
            value = "library=beta" if header == "Cookie" else "beta"
            for url in ("/v1/content", "/ui/library/items", f"/v1/content/{B_IDS[0]}"):
                yield key, "GET", url, {"headers": {header: value}, "params": {"limit": 200}}
        for query in (
            "library=alpha&library=beta",
            "library=beta&library=alpha",
            "Library=beta",
            "LIBRARY=beta",
            "library[]=beta",
            "library=%62eta",
            "library=beta%00",
            "library=%2e%2e%2fbeta",
            "library=be%0ata",
        ):
            yield key, "GET", f"/v1/content?{query}", {}
            yield key, "GET", f"/v1/content/{B_IDS[1]}?{query}", {}
        for path in (
            f"/v1/content/../content/{B_IDS[0]}",
            f"/v1/content/beta/{B_IDS[0]}",
            f"/v1/content/%2e%2e/beta/{B_IDS[0]}",
            f"/beta/v1/content/{B_IDS[0]}",
            f"/v1/beta/content/{B_IDS[0]}",
            f"/v1/content/{B_IDS[0]}%00",
            f"/v1/content/{B_IDS[0]}/",
            f"/v1/content/./{B_IDS[0]}",
            f"/v1/content/tenant_b/{B_IDS[0]}.md",
            f"/v1/content/{B_IDS[0]}.md",
            "/v1/content/%7A%6F%72%62%6C%61%78-roi-case",
            "/library?library=beta",
            "/?library=beta",
        ):
            yield key, "GET", path, {}


MCP_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("recommend", {"problems": [B_TEXT], "max_items": 20}),
    ("recommend", {"problems": [B_TEXT], "sent": B_IDS, "deal_id": "deal-shared"}),
    ("ask", {"text": B_TEXT}),
    ("get_content", {"id": B_IDS[0]}),
    ("get_content", {"id": B_IDS[3], "section": "How the quixotrel close works"}),
    ("search_library", {"type": "hologram-brief"}),
    ("search_library", {"limit": 200}),
    ("library_gaps", {"problems": [B_TEXT]}),
]


def test_keys_of_one_library_never_see_anything_of_the_other(
    client: TestClient, keys: dict[str, NewKey], markers: list[str], a_markers: list[str]
) -> None:
    corpus_text = " ".join(p.read_text(encoding="utf-8") for p in CORPUS.rglob("*.md")).lower()
    assert not [w for w in B_WORDS if w in corpus_text], "library A must not contain B's marker words"
    sent = 0
    statuses: dict[int, int] = {}

    def check(response: Response, request: Any, forbidden: list[str]) -> None:
        nonlocal sent
        sent += 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (request, response.text)
        assert not leaked(response, request, forbidden), (request, leaked(response, request, forbidden))

    for key, method, url, options in attacks(keys):
        check(
            client.request(method, url, headers={**auth(key), **options.pop("headers", {})}, **options),
            (url, options),
            markers,
        )
    for (tool, arguments), library, key in itertools.product(
        MCP_CALLS, [None, *SPOOFS[:8], "alpha,beta", "*", "gamma"], ("a_buyer", "a_seller")
    ):
        call = {**arguments, **({} if library is None else {"library": library})}
        response = mcp(client, keys[key], tool, call)
        check(response, call, markers)
        if library not in (None,):
            assert mcp_result(response)["isError"], call
    raw, headers = signed("room-a", SECRET_A, [event(f"spoof-{n}", "deal-shared", b) for n, b in enumerate(B_IDS)])
    for library in [None, *SPOOFS]:
        params = {} if library is None else {"library": library}
        check(
            client.post("/v1/events", params=params, content=raw, headers={**headers, "X-Library": "beta"}),
            params,
            markers,
        )

    # and the other way round, a sample: B's keys ask for A's ids and subjects
    a_ids = [m for m in a_markers if re.fullmatch(r"[a-z0-9-]+", m)][:40]
    for a_id, library in itertools.product(a_ids, [None, "alpha", "ALPHA", "default"]):
        params = {} if library is None else {"library": library}
        check(
            client.get(f"/v1/content/{a_id}", params=params, headers=auth(keys["b_buyer"])), (a_id, params), a_markers
        )
    for library in [None, "alpha", "*", "alpha,beta"]:
        params = {} if library is None else {"library": library}
        body = {"problems": ["month-end close takes 12 days", "a competitor is cheaper"], "max_items": 20}
        check(
            client.post("/v1/recommendations", params=params, json=body, headers=auth(keys["b_seller"])),
            body,
            a_markers,
        )
        check(
            client.get("/v1/content", params={**params, "limit": 200}, headers=auth(keys["b_seller"])),
            params,
            a_markers,
        )
        check(mcp(client, keys["b_seller"], "search_library", {"limit": 200, **params}), params, a_markers)

    assert sent >= 1000, sent
    assert statuses.get(200, 0) > 100 and statuses.get(404, 0) > 100, statuses  # answered, and refused, in numbers


# ---- one library, as before -------------------------------------------------------------------


def test_a_single_library_server_serves_unbound_keys_and_keys_bound_to_default(
    corpus_index: Path, embedder: Embedder
) -> None:
    keys = {
        "old": new_key("old-room", ["buyer"]),
        "default": new_key("default-room", ["buyer"], ["default"]),
        "emea": new_key("emea-room", ["buyer"], ["emea"]),
    }
    settings = ServerSettings.load(index=corpus_index, api_keys=" ".join(k.key.line() for k in keys.values()))
    with TestClient(create_app(settings, embedder=embedder, today=lambda: TODAY)) as api:
        for key, params in ((keys["old"], {}), (keys["default"], {}), (keys["old"], {"library": "default"})):
            response = api.post("/v1/recommendations", params=params, json=PROBLEM, headers=auth(key))
            assert response.status_code == 200 and response.json()["items"]
        assert api.get("/v1/ready").json()["library"] == "default"
        error = _error(api.get("/v1/content", headers=auth(keys["emea"])), 404, "library_not_found")
        assert "'emea'" in error["message"] and "default" not in error["message"]
        _error(api.get("/v1/content", params={"library": "emea"}, headers=auth(keys["old"])), 404, "library_not_found")


def test_recommender_mcp_serves_one_library_named_by_its_option() -> None:
    from recommender.cli.mcp_cmd import one_library

    several = Settings(libraries="emea=/srv/emea,apac=/srv/apac")
    with pytest.raises(RecommenderError, match="choose one with --library NAME"):
        one_library(several, None, index_given=False)
    with pytest.raises(RecommenderError, match="no library 'amer' is configured"):
        one_library(several, "amer", index_given=False)
    assert one_library(several, "apac", index_given=False).served_libraries() == {"apac": Path("/srv/apac")}
    assert one_library(Settings(index=Path("/srv/x")), None, index_given=False).served_libraries() == {
        "default": Path("/srv/x")
    }
