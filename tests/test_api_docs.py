"""API docs that work offline (vendored Swagger UI and ReDoc), and an example for every request and response."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from indexer.embed import Embedder
from recommender.api.app import create_app
from recommender.api.docs_routes import STATIC
from recommender.api.errors import ErrorBody
from recommender.api.schemas import AskRequest, Health, Ready, ReloadResult, ReloadResults
from recommender.api.settings import ServerSettings
from recommender.catalog import ContentDetail, ContentPage
from recommender.events.models import Appended, EventBatch
from recommender.models import Recommendation, RecommendationRequest

TODAY = dt.date(2026, 11, 27)
MODELS: dict[str, type[BaseModel]] = {
    model.__name__: model
    for model in (
        RecommendationRequest,
        AskRequest,
        Recommendation,
        ContentPage,
        ContentDetail,
        Health,
        Ready,
        ReloadResult,
        ReloadResults,
        ErrorBody,
        EventBatch,
        Appended,
    )
}
URL_ATTRIBUTE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def client(corpus_index: Path, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(ServerSettings.load(index=corpus_index), embedder=embedder, today=lambda: TODAY)) as c:
        yield c


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_use_only_the_apps_own_assets(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    urls = [a or b for a, b in URL_ATTRIBUTE.findall(html)]
    assert "/openapi.json" in urls and any(url.endswith(".js") for url in urls)
    assert "http://" not in html and "https://" not in html and "//cdn" not in html and "fonts.g" not in html
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200, url
        if url != "/openapi.json":
            vendored = STATIC / url.removeprefix("/docs-assets/")
            assert asset.content == vendored.read_bytes(), f"{url} is not the vendored {vendored}"


def test_swagger_ui_fetches_no_validator_badge(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_each_vendored_bundle_keeps_its_licence() -> None:
    for folder, bundle in (("swagger-ui", "swagger-ui-bundle.js"), ("redoc", "redoc.standalone.js")):
        assert (STATIC / folder / "LICENSE").is_file() and (STATIC / folder / f"{bundle}.LICENSE.txt").is_file()
        assert (STATIC / folder / bundle).stat().st_size > 500_000  # the real bundle, not a stub
    assert "Apache License" in (STATIC / "swagger-ui" / "LICENSE").read_text(encoding="utf-8")
    assert "MIT" in (STATIC / "redoc" / "LICENSE").read_text(encoding="utf-8")


def _model(schema: dict[str, Any], where: str) -> type[BaseModel]:
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    assert name in MODELS, f"{where}: add the model of schema {schema} to MODELS so its examples are checked"
    return MODELS[name]


def _examples(content: dict[str, Any]) -> list[Any]:
    named = [example["value"] for example in content.get("examples", {}).values()]
    return named + ([content["example"]] if "example" in content else [])


def test_every_operation_has_request_and_response_examples_that_are_valid(document: dict[str, Any]) -> None:
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            parameters = operation.get("parameters", [])
            if body is not None:
                examples = _examples(body)
                assert examples, f"{where} has no request example"
                for example in examples:
                    _model(body["schema"], where).model_validate(example)
            for parameter in parameters:
                has_example = parameter.get("example") is not None or parameter.get("examples")
                assert has_example or parameter["schema"].get("examples"), f"{where} {parameter['name']}: no example"
            if body is None and not parameters:
                assert method == "get" or path == "/v1/index/reload-all", f"{where} takes nothing: is that right?"
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                assert content is not None, f"{where} {status} documents no JSON body"
                examples = _examples(content)
                assert examples, f"{where} {status} has no response example"
                for example in examples:
                    _model(content["schema"], f"{where} {status}").model_validate(example)
                    if status != "200":
                        assert example["error"]["code"] and example["error"]["message"]
                checked += 1
    assert checked >= 30  # 7 operations, each with its answer and the errors it documents


def test_the_recommendation_example_is_a_real_answer(client: TestClient, document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/recommendations"]["post"]
    (example,) = _examples(operation["responses"]["200"]["content"]["application/json"])
    request = {"problems": example["recognised"]["problems"], "stage": "evaluation", "roles": ["cfo"], "max_items": 1}
    answer = client.post("/v1/recommendations", json={**request, "industry": "banking", "audience": "buyer"}).json()
    assert [item["id"] for item in answer["items"]] == [item["id"] for item in example["items"]]
    assert answer["gaps"] == example["gaps"] and answer["recognised"] == example["recognised"]
