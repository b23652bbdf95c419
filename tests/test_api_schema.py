"""Property-based: schemathesis generates requests from the app's own OpenAPI schema.

Whatever it sends, the app must never answer 5xx, and every answer must match the schema
(documented status, content type and body shape).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from indexer.embed import Embedder
from recommender.api.app import create_app
from recommender.api.keys import ApiKey, digest
from recommender.api.settings import ServerSettings

SECRET = "rk_schemathesis-only-key"
# Not checked, on purpose:
# - positive_data_acceptance: stage, role, industry and type take any string in the schema (aliases
#   are open-ended and an organisation can add its own), so a schema-valid request may still name
#   an unknown stage, which is a 422;
# - negative_data_rejection: problems and text are stripped of surrounding whitespace before their
#   length is checked, so 1,000 characters plus a newline is accepted although the schema says 1,000.
LENIENT = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]
AUTH = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture(scope="module")
def api_schema(corpus_index: Path, embedder: Embedder) -> schemathesis.BaseSchema:
    key = ApiKey(name="fuzz", scopes=frozenset({"seller", "admin"}), digest=digest(SECRET))
    settings_ = ServerSettings.load(
        index=corpus_index, api_keys=key.line(), api_rate_per_minute=1e6, api_rate_burst=100_000
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(settings_, embedder=embedder))


@pytest.mark.parametrize(("mode", "examples"), [(GenerationMode.POSITIVE, 100), (GenerationMode.NEGATIVE, 60)])
def test_no_server_error_and_every_answer_matches_the_schema(
    api_schema: schemathesis.BaseSchema, mode: GenerationMode, examples: int
) -> None:
    # every operation of the schema, valid requests (positive) and invalid ones (negative)
    @given(case=api_schema.as_strategy(mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=AUTH, excluded_checks=LENIENT)

    call()


def test_every_request_has_an_example(api_schema: schemathesis.BaseSchema) -> None:
    document = api_schema.raw_schema
    components = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                assert body.get("examples"), f"{method.upper()} {path} has no request example"
                assert "examples" in components[body["schema"]["$ref"].rsplit("/", 1)[1]]
            for parameter in operation.get("parameters", []):
                example = (
                    parameter.get("example") is not None
                    or parameter.get("examples")
                    or parameter["schema"].get("examples")
                )
                assert example, f"{method.upper()} {path} {parameter['name']} has no example"
