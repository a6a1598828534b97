"""Every answer of the gateway says nosniff, forbids caching unless it is a static asset, and
carries a Content-Security-Policy: nothing may load for the API's answers; the two HTML pages
(/docs, GraphiQL) may load only from the gateway, their inline scripts by hash
(tests/e2e/test_docs_page.py renders both in Chromium under that policy)."""

import requests

from tests.e2e.conftest import PASSWORD, login
from tests.e2e.test_oauth import client_token, register_client, token_request

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def policy(response: requests.Response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


def assert_secure_headers(response: requests.Response, cache: str = "no-store") -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff", response.url
    assert response.headers["Cache-Control"] == cache, response.url


def test_api_answers_forbid_sniffing_caching_and_loading_anything(system, anonymous, admin, product):
    answers = [
        anonymous.get(f"/products/{product['id']}"),
        anonymous.get("/products/no-such-product"),  # a problem
        anonymous.get("/no/such/route"),
        requests.get(f"{system.url}/openapi.json", timeout=10),
        requests.get(f"{system.url}/readyz", timeout=10),
        admin.get("/orders/export"),  # CSV
        requests.post(f"{system.url}/graphql", json={"query": "{ __typename }"}, timeout=10),
    ]
    for response in answers:
        assert response.status_code < 500, response.text
        assert_secure_headers(response)
        assert response.headers["Content-Security-Policy"] == API_POLICY, response.url


def test_every_answer_that_carries_a_token_or_a_secret_is_never_stored(system, anonymous, admin, new_customer):
    user, _, _ = new_customer()
    tokens = anonymous.post("/auth/login", json={"email": user["email"], "password": PASSWORD})
    refreshed = anonymous.post("/auth/refresh", json={"refresh_token": tokens.json()["refresh_token"]})
    created = admin.post("/clients", json={"name": "headers", "scopes": ["stock:write"]})
    rotated = admin.post(f"/clients/{created.json()['client_id']}/rotate-secret")
    client = register_client(admin, "stock:write")
    granted = token_request(system, {"grant_type": "client_credentials"}, auth=(client["client_id"],
                                                                                client["client_secret"]))
    introspected = requests.post(f"{system.url}/oauth/introspect", data={"token": client_token(system, client)},
                                 auth=(client["client_id"], client["client_secret"]), timeout=10)
    for response in (tokens, refreshed, created, rotated, granted, introspected):
        assert response.status_code in (200, 201), response.text
        assert_secure_headers(response)
    assert {"access_token", "refresh_token"} <= tokens.json().keys() and "access_token" in granted.json()
    assert login(anonymous, user["email"], PASSWORD)  # the account still works after the checks


def test_the_pages_may_load_only_from_the_gateway_and_their_assets_are_cached(system):
    for page, asset in (("/docs", "/docs/assets/swagger-ui-bundle.js"), ("/graphql", "/graphql/assets/graphiql.js")):
        response = requests.get(f"{system.url}{page}", headers={"Accept": "text/html"}, timeout=10)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
        assert_secure_headers(response)
        directives = policy(response)
        assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert directives["script-src"].startswith("'self' 'sha256-"), directives  # the inline script, by hash
        assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
        assert directives["connect-src"] == "'self'"
        served = requests.get(f"{system.url}{asset}", timeout=10)
        assert served.status_code == 200 and "max-age=86400" in served.headers["Cache-Control"]
        assert served.headers["X-Content-Type-Options"] == "nosniff"
