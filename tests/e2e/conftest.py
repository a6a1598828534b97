"""End-to-end: every service and the gateway run as processes; tests speak HTTP."""

import socket
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from operations.invariants import check
from scripts.seed import seed
from scripts.system import System

PASSWORD = "a-long-enough-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="package")
def spans_file(tmp_path_factory) -> Path:
    """Where every process of the system appends its spans (OTEL_TRACES_FILE), one JSON line each."""
    return tmp_path_factory.mktemp("traces") / "spans.jsonl"


@contextmanager
def running_system(config, env: dict, log_dir: Path):
    """The seeded system started as processes with `env` on a free port; stopped on leaving.
    Shared with the reliability suite."""
    seed(config)
    running = System(env=env, port=free_port(), log_dir=log_dir)
    try:
        running.start(timeout=60)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def system(config, tmp_path_factory, test_infrastructure, spans_file):
    env = {
        "RPC_TIMEOUT": "2",
        "CALLS_LOG_LEVEL": "INFO",
        "ORDER_RESERVATION_TTL": "6",  # short reservations, so an unpaid order expires within a test
        "EXPORT_PAGE_SIZE": "2",  # an export of a few orders spans pages
        "LOG_FORMAT": "json",
        "OTEL_TRACES_FILE": str(spans_file),
        "GATEWAY_METRICS_PORT": str(free_port()),  # known, for test_gateway_metrics.py
        # Webhooks retried within seconds and timed out after one (test_webhooks.py).
        "WEBHOOKS_RETRY_SCHEDULE": "0.3,0.6,1.2",
        "WEBHOOKS_ATTEMPT_TIMEOUT": "1",
        "WEBHOOKS_POLL_INTERVAL": "0.1",
    }
    with running_system(config, env, tmp_path_factory.mktemp("logs")) as running:
        yield running


@pytest.fixture(scope="package", autouse=True)
def invariants_hold_at_the_end(system, config):
    """After the package's tests, once the system has settled (unpaid orders expired and
    cancelled, every outbox row relayed, every saga step done), every invariant holds."""
    yield
    deadline = time.monotonic() + 60
    while not (report := check(config, grace=0)).ok and time.monotonic() < deadline:
        time.sleep(0.5)
    assert report.ok, f"the system did not settle into a consistent state:\n{report}"


class Api:
    """A tiny HTTP client for /api/v1 with an optional bearer token."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.token = token

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return requests.request(method, f"{self.base}/api/v1{path}", headers=headers, timeout=15, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def as_user(self, token: str) -> "Api":
        return Api(self.base, token)


@pytest.fixture(scope="package")
def anonymous(system) -> Api:
    return Api(system.url)


def login(api: Api, email: str, password: str) -> dict:
    response = api.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="package")
def admin(anonymous, config) -> Api:
    return anonymous.as_user(login(anonymous, config["ADMIN"]["EMAIL"], config["ADMIN"]["PASSWORD"])["access_token"])


@pytest.fixture
def new_customer(anonymous):
    """Registers a fresh customer; returns (user, tokens, api authenticated as it)."""

    def make(name: str = "Customer"):
        email = f"{uuid.uuid4().hex[:12]}@example.com"
        response = anonymous.post("/auth/register", json={"email": email, "password": PASSWORD, "name": name})
        assert response.status_code == 201, response.text
        tokens = login(anonymous, email, PASSWORD)
        return response.json(), tokens, anonymous.as_user(tokens["access_token"])

    return make


@pytest.fixture
def customer(new_customer) -> Api:
    return new_customer()[2]


@pytest.fixture
def product(admin) -> dict:
    """A fresh product, created through the API."""
    sku = f"SKU-{uuid.uuid4().hex[:10]}"
    response = admin.post(
        "/products",
        json={"sku": sku, "name": "Blue widget", "description": "A sturdy widget", "price": "19.99",
              "currency": "EUR", "stock": 10},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def gadget(admin) -> dict:
    """A second product, cheaper than `product` (19.99), for orders of two lines."""
    response = admin.post("/products", json={"sku": f"SKU-{uuid.uuid4().hex[:10]}", "name": "Red gadget",
                                             "price": "5.00", "currency": "EUR", "stock": 10})
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("urn:oms:problem:")
    return body
