"""The OpenAPI document the gateway serves is valid and says what the routes do."""

import re

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
    assert "minimum" not in price and "maximum" not in price  # JSON Schema's are for numbers only
    assert (price["x-minimum"], price["x-maximum"]) == (0.01, 9999999999.99)
    assert "0.01" in price["description"] and "9999999999.99" in price["description"]
    pattern = re.compile(price["pattern"])
    assert all(pattern.fullmatch(good) for good in ("0.01", "0.5", "19.99", "7", "9999999999.99"))
    assert not any(pattern.fullmatch(bad) for bad in ("0", "0.00", "05", "-1", "1e3", "19.999", "10000000000"))


def test_every_operation_has_a_unique_camel_case_id_and_a_tag(document):
    ids = [operation["operationId"] for _, operation in _operations(document)]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z][A-Za-z]+", id_) for id_ in ids), ids
    assert all(operation["tags"] for _, operation in _operations(document))
    assert document["paths"]["/api/v1/orders/{order_id}/invoice.pdf"]["get"]["operationId"] == "getOrderInvoicePdf"
    assert document["paths"]["/api/v1/orders"]["post"]["operationId"] == "createOrder"


def test_binary_answers_have_their_media_types(document):
    paths = document["paths"]
    for kind in ("invoice", "credit-note"):
        content = paths[f"/api/v1/orders/{{order_id}}/{kind}.pdf"]["get"]["responses"]["200"]["content"]
        assert content == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    export = paths["/api/v1/orders/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", "application/x-ndjson"}
    assert all(media["schema"]["format"] == "binary" for media in export.values())


def test_the_shipping_address_is_the_address_schema_in_answers_too(document):
    order = document["components"]["schemas"]["Order"]["properties"]
    assert order["shipping_address"] == {"$ref": "#/components/schemas/Address"}


def test_oauth_routes_declare_http_basic(document):
    assert document["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http", "scheme": "basic", "description": "An OAuth client's id and secret."
    }
    for path in ("/oauth/token", "/oauth/introspect"):
        assert {"basicAuth": []} in document["paths"][path]["post"]["security"], path


def test_a_body_that_is_not_json_is_documented_as_415(document):
    for label, operation in _operations(document):
        if "requestBody" in operation and "application/json" in operation["requestBody"]["content"]:
            assert {"415", "422"} <= set(operation["responses"]), label


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
    for path in ("/api/v1/orders", "/api/v1/orders/{order_id}/history"):
        page = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert set(_resolve(document, page)["properties"]) == {"items", "page", "page_size", "total"}, path
        assert {"page", "page_size"} <= {parameter["name"] for parameter in paths[path]["get"]["parameters"]}


def test_a_405_lists_the_allowed_methods(system):
    response = requests.put(f"{system.url}/api/v1/orders", timeout=5)
    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


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
