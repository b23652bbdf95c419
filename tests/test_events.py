"""Engagement events: signatures, the append-only store beside the builds, bulk import, POST /v1/events,
and deal memory - a signed webhook changes the next answer for that deal."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from indexer.embed import Embedder
from recommender.api.app import create_app
from recommender.api.keys import NewKey, new_key
from recommender.cli import app
from recommender.events.importer import import_events
from recommender.events.models import Event
from recommender.events.signature import SIGNATURE_HEADER, SOURCE_HEADER, SignatureError, sign, verify
from recommender.events.store import EventStore, events_path
from tests.test_api import TODAY, _settings, auth, publish_tiny_corpus

SECRET = "s3cret-for-the-acme-deal-room-0123456789"
CLOSE = {"problems": ["month-end close takes twelve days"], "max_items": 5}


@pytest.fixture(scope="module")
def keys() -> dict[str, NewKey]:
    return {"buyer": new_key("deal-room", ["buyer"]), "seller": new_key("seller-desk", ["seller"])}


def event(event_id: str, content_id: str = "cs-harbor-point-close", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "deal_id": "deal-1",
        "content_id": content_id,
        "type": "sent",
        "at": "2026-11-20T10:00:00Z",
        **extra,
    }


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None, source: str = "acme") -> dict[str, str]:
    stamp = int(time.time() if at is None else at)
    return {SOURCE_HEADER: source, SIGNATURE_HEADER: sign(secret, stamp, body), "Content-Type": "application/json"}


def test_a_signature_is_checked_against_the_source_secret_the_body_and_the_clock() -> None:
    body, now = b'{"a": 1}', 1_764_500_000.0
    header = sign(SECRET, int(now), body)
    assert verify("acme", header, body, secrets={"acme": SECRET}, now=now + 299) == "acme"
    for source, head, raw, clock, words in [
        ("acme", header, b'{"a": 2}', now, "does not match"),
        ("acme", sign("another-secret-of-enough-length", int(now), body), body, now, "does not match"),
        ("acme", header, body, now + 301, "301 s"),
        ("other", header, body, now, "unknown"),
        ("acme", "v1=abc", body, now, "malformed"),
    ]:
        with pytest.raises(SignatureError, match=words):
            verify(source, head, raw, secrets={"acme": SECRET}, now=clock)


def test_the_store_keeps_each_event_once_and_refuses_changes(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events" / "events.sqlite3")
    first = store.append([Event.model_validate(event("e1")), Event.model_validate(event("e2"))], source="acme")
    again = store.append([Event.model_validate(event("e2")), Event.model_validate(event("e3", "wp-x"))], source="acme")
    assert (first.stored, first.duplicates, again.stored, again.duplicates) == (2, 0, 1, 1)
    assert store.sent_to("deal-1") == ("cs-harbor-point-close", "wp-x") and store.sent_to("deal-2") == ()
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        for statement in ("UPDATE events SET deal_id = 'x'", "DELETE FROM events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)


def test_import_stores_the_good_lines_and_names_the_bad_ones(tmp_path: Path) -> None:
    lines = [json.dumps(event("e1")), "not json", json.dumps(event("e2", type="glanced")), "", json.dumps(event("e1"))]
    file = tmp_path / "history.jsonl"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = import_events(EventStore(tmp_path / "store.sqlite3"), file)
    assert (done.appended.stored, done.appended.duplicates) == (1, 1)
    assert [(b.line, "type" in b.problem) for b in done.bad] == [(2, False), (3, True)]


@pytest.fixture
def served(
    corpus_index: Path, tmp_path: Path, embedder: Embedder, keys: dict[str, NewKey]
) -> Iterator[tuple[TestClient, Path]]:
    index = tmp_path / "index"
    shutil.copytree(corpus_index, index, symlinks=True, ignore=shutil.ignore_patterns(".lock", "events"))
    settings = _settings(index, keys, events_secrets=f"acme:{SECRET}")
    with TestClient(create_app(settings, embedder=embedder, today=lambda: TODAY)) as client:
        yield client, index


def test_a_signed_webhook_changes_the_next_answer_for_that_deal(
    served: tuple[TestClient, Path], keys: dict[str, NewKey], embedder: Embedder, tmp_path: Path
) -> None:
    client, index = served
    buyer = auth(keys["buyer"])
    before = client.post("/v1/recommendations", json={**CLOSE, "deal_id": "deal-1"}, headers=buyer).json()
    assert "cs-harbor-point-close" in [i["id"] for i in before["items"]] and before["deal"]["sent"] == []

    body = json.dumps(event("e1")).encode()
    stored = client.post("/v1/events", content=body, headers=signed(body))
    assert stored.status_code == 200 and stored.json() == {"stored": 1, "duplicates": 0}
    assert client.post("/v1/events", content=body, headers=signed(body)).json() == {"stored": 0, "duplicates": 1}

    internal = json.dumps(event("e9", "int-discount-guidance")).encode()
    assert client.post("/v1/events", content=internal, headers=signed(internal)).status_code == 200
    after = client.post("/v1/recommendations", json={**CLOSE, "deal_id": "deal-1"}, headers=buyer).json()
    ids = [i["id"] for i in after["items"]]
    assert "cs-harbor-point-close" not in ids and "cs-harbor-point-snapshot" not in ids and ids
    assert after["deal"]["sent"] == ["cs-harbor-point-close"]
    assert "cs-harbor-point-snapshot" in after["deal"]["near_duplicates"]
    assert "cs-harbor-point-close" in after["deal"]["message"]
    seller = client.post("/v1/recommendations", json={**CLOSE, "deal_id": "deal-1"}, headers=auth(keys["seller"]))
    assert seller.json()["deal"]["sent"] == ["cs-harbor-point-close", "int-discount-guidance"]  # a buyer never sees it
    other = client.post("/v1/recommendations", json={**CLOSE, "deal_id": "deal-2"}, headers=buyer).json()
    assert "cs-harbor-point-close" in [i["id"] for i in other["items"]]

    publish_tiny_corpus(index, tmp_path / "tiny", embedder)  # re-indexing replaces the builds, not the events
    assert EventStore(events_path(index)).sent_to("deal-1") == ("cs-harbor-point-close", "int-discount-guidance")


def test_unsigned_late_or_invalid_webhooks_are_refused_clearly(served: tuple[TestClient, Path]) -> None:
    client, _ = served
    body = json.dumps([event("e1"), event("e2")]).encode()
    cases = [
        (signed(body, secret="not-the-secret-of-this-source-at-all"), body, 401, "bad_signature"),
        (signed(body, at=time.time() - 600), body, 401, "bad_signature"),
        ({"Content-Type": "application/json"}, body, 401, "bad_signature"),
        (signed(b'{"event_id": "x"}'), b'{"event_id": "x"}', 422, None),
    ]
    for headers, raw, status, code in cases:
        response = client.post("/v1/events", content=raw, headers=headers)
        assert response.status_code == status, response.text
        assert code is None or response.json()["error"]["code"] == code
    assert client.post("/v1/events", content=body, headers=signed(body)).json() == {"stored": 2, "duplicates": 0}


def test_without_webhook_sources_the_server_takes_no_events(
    corpus_index: Path, tmp_path: Path, embedder: Embedder, keys: dict[str, NewKey]
) -> None:
    index = tmp_path / "index"
    shutil.copytree(corpus_index, index, symlinks=True, ignore=shutil.ignore_patterns(".lock", "events"))
    with TestClient(create_app(_settings(index, keys), embedder=embedder, today=lambda: TODAY)) as client:
        body = json.dumps(event("e1")).encode()
        response = client.post("/v1/events", content=body, headers=signed(body))
    assert response.status_code == 403 and "RECOMMENDER_EVENTS_SECRETS" in response.json()["error"]["details"]["hint"]


def test_events_must_say_their_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Event.model_validate(event("e1", at=dt.datetime(2026, 11, 20, 10).isoformat()))


def test_the_import_command_reports_what_it_stored_and_exits_1_on_bad_lines(tmp_path: Path) -> None:
    file = tmp_path / "history.jsonl"
    file.write_text(json.dumps(event("e1")) + "\n" + json.dumps(event("e2", type="glanced")) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["events", "import", str(file), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert "1 event(s) stored, 0 already stored, 1 bad line(s)" in result.stdout
    assert f"{file}:2: type" in result.stderr
    assert EventStore(events_path(tmp_path / "index")).sent_to("deal-1") == ("cs-harbor-point-close",)
    again = CliRunner().invoke(app, ["events", "import", str(file), "--index", str(tmp_path / "index")])
    assert "0 event(s) stored, 1 already stored" in again.stdout
