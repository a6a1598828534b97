"""The OpenAPI document the gateway serves is valid and says what the routes do."""

import pytest
import requests
from openapi_spec_validator import validate

from scripts.openapi_document import openapi_document
from tests.e2e.conftest import assert_problem


@pytest.fixture(scope="module")
def document(system) -> dict:
    return requests.get(f"{system.url}/openapi.json", timeout=10).json()


def _operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method == "parameters":  # the path's, shared by its operations
                continue
            yield f"{method.upper()} {path}", operation


def _resolve(document: dict, item: dict) -> dict:
    while "$ref" in item:
        *_, kind, name = item["$ref"].split("/")
        item = document["components"][kind][name]
    return item


def _bounds(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("minimum", "maximum", "x-minimum", "x-maximum"):
                yield key, value
            else:
                yield from _bounds(value)
    elif isinstance(node, list):
        for value in node:
            yield from _bounds(value)


def test_the_document_is_valid_openapi(document):
    validate(document)  # raises on the first violation


def test_the_document_written_without_a_server_is_the_one_served(document):
    """`make clients` generates from the former."""
    assert openapi_document() == document


def test_bounds_are_numbers_and_money_is_a_decimal_string(document):
    bounds = list(_bounds(document))
    assert bounds and all(type(value) in (int, float) for _, value in bounds), bounds
    price = document["components"]["schemas"]["ProductCreate"]["properties"]["price"]
    assert price["type"] == "string" and price["format"] == "decimal"
    assert (price["minimum"], price["maximum"]) == (0.01, 9999999999.99)


def test_every_error_is_documented_as_problem_json(document):
    """...but OAuth's own errors (RFC 6749 §5.2), which are application/json as well."""
    for label, operation in _operations(document):
        errors = {code: _resolve(document, response) for code, response in operation["responses"].items()
                  if code[0] in "45"}
        assert "400" in errors and "default" not in operation["responses"], label
        for code, response in errors.items():
            oauth = label.split()[-1].startswith("/oauth/") and code in ("400", "401")
            expected = ["application/json", "application/problem+json"] if oauth else ["application/problem+json"]
            assert sorted(response["content"]) == expected, (label, code)
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
            if oauth:
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/OAuthError"
                }


def test_success_responses_match_the_routes(document):
    paths = document["paths"]
    for label, operation in _operations(document):
        for code, response in operation["responses"].items():
            if code == "204":
                assert "content" not in response, label
    history = paths["/api/v1/orders/{order_id}/history"]["get"]["responses"]["200"]
    assert history["content"]["application/json"]["schema"]["type"] == "array"
    page = paths["/api/v1/orders"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(_resolve(document, page)["properties"]) == {"items", "page", "page_size", "total"}


def test_the_probes_are_documented_as_they_answer(system, document):
    health = document["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert _resolve(document, health)["properties"]["status"]["type"] == "string"
    readiness = _resolve(
        document, document["paths"]["/readyz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    )
    assert readiness["properties"]["status"]["type"] == "string"
    assert readiness["properties"]["services"]["additionalProperties"] == {"type": "string"}
    assert "503" in document["paths"]["/readyz"]["get"]["responses"]
    assert requests.get(f"{system.url}/healthz", timeout=5).json() == {"status": "ok"}
    assert_problem(requests.get(f"{system.url}/readyz?x=%00", timeout=5), 400)
