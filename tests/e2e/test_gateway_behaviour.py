"""Gateway concerns: OpenAPI, request ids, readiness, and a stopped service."""

import time
import uuid

import requests

from tests.e2e.conftest import assert_problem

ROUTES = {
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/users/me": {"get"},
    "/api/v1/users": {"get"},
    "/api/v1/users/{user_id}": {"get", "patch", "delete"},
    "/api/v1/products": {"get", "post"},
    "/api/v1/products/{product_id}": {"get", "patch", "delete"},
    "/api/v1/products/{product_id}/stock": {"put"},
    "/api/v1/products/{product_id}/price-history": {"get"},
}


def test_openapi_describes_every_route_with_schemas_and_errors(system, anonymous):
    spec = requests.get(f"{system.url}/openapi.json", timeout=10).json()
    for path, methods in ROUTES.items():
        assert methods <= set(spec["paths"][path]), path
        for method in methods:
            operation = spec["paths"][path][method]
            assert any(code.startswith("2") for code in operation["responses"]), (path, method)
            assert any(code.startswith("4") for code in operation["responses"]), (path, method)
    create = spec["paths"]["/api/v1/products"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert "requestBody" in create
    assert {"ProductCreate", "Product", "Problem"} <= set(spec["components"]["schemas"])
    docs = requests.get(f"{system.url}/docs", timeout=10)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_request_id_is_returned_and_reaches_the_service_logs(system, anonymous):
    request_id = f"test-{uuid.uuid4().hex}"
    # A query of its own: a search page cached by an earlier test would be answered without an RPC.
    response = anonymous.get("/products", params={"q": request_id}, headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id
    assert len(anonymous.get("/products").headers["X-Request-ID"]) >= 16
    deadline = time.monotonic() + 5
    while request_id not in system.log_tail("products", 200) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert request_id in system.log_tail("products", 200)


def test_a_hostile_request_id_is_replaced(anonymous):
    response = anonymous.get("/products", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["X-Request-ID"] != "bad id\twith spaces"


def test_health_and_readiness(system, anonymous):
    assert requests.get(f"{system.url}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{system.url}/readyz", timeout=10).json()
    assert ready["status"] == "ready" and set(ready["services"].values()) == {"ok"}


def test_a_stopped_service_gives_a_quick_503_and_recovers(system, anonymous, admin, product):
    search = {"q": f"nothing{uuid.uuid4().hex}"}
    gone = admin.post("/products", json={"sku": f"SKU-{uuid.uuid4().hex[:10]}", "name": "Gone", "price": "1.00",
                                         "currency": "EUR", "stock": 1}).json()
    assert admin.delete(f"/products/{gone['id']}").status_code == 204
    searched = anonymous.get("/products", params={"q": "widget"}).json()
    system.stop("products")
    try:
        started = time.monotonic()
        problem = assert_problem(anonymous.get("/products", params=search), 503)
        assert time.monotonic() - started < 2 + 1.5  # RPC_TIMEOUT is 2 s in these tests
        assert problem["detail"]
        assert_problem(requests.get(f"{system.url}/readyz", timeout=10), 503)
        # The gateway reads the product cache itself: cached products (and deletions) are still
        # answered, a product it doesn't hold needs the service.
        assert anonymous.get(f"/products/{product['id']}").json() == product
        assert_problem(anonymous.get(f"/products/{gone['id']}"), 404)
        assert anonymous.get("/products", params={"q": "widget"}).json() == searched  # no write since
        assert_problem(anonymous.get(f"/products/{uuid.uuid4()}"), 503)
    finally:
        system.start_service("products")
        system.wait_ready(60)
    assert anonymous.get("/products", params=search).status_code == 200
