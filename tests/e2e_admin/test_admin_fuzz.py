"""A careless admin can't stop the system (issue 22): schemathesis sends every operation of
/openapi.json, every method, DELETE included, with the configured admin's token, aimed at what
exists (the admin itself, a customer, the services' own clients, the demo catalog, an order);
then the system is still ready, an order placed is confirmed, the admin still logs in, and every
invariant holds.

Deterministic (derandomized Hypothesis, no example database) and bounded by MAX_EXAMPLES cases
per operation and target: about 2 minutes on the 2-core development machine. Nothing is kept from
the run's requests but what an admin would know: a password it set on itself.

The run's wrong passwords for the admin lock its account for the run's address (users' login
limits, per account and address); the admin logs in from another address, as its owner would."""

import time
import uuid

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from operations.invariants import check
from tests.e2e.conftest import Api
from tests.e2e.test_order_saga import place, wait_for_status

MAX_EXAMPLES = 200
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),
)


ELSEWHERE = "127.0.0.2"  # another loopback address than the run's 127.0.0.1


class FromElsewhere(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs, source_address=(ELSEWHERE, 0))


class Admin:
    """The configured admin, as the run acts: its token, and its password should the run change it
    (PATCH on itself), after which it logs in again, as a person would."""

    def __init__(self, anonymous: Api, email: str, password: str):
        self.anonymous, self.email, self.password = anonymous, email, password
        self.log_in()
        self.id = self.api.get("/users/me").json()["id"]

    def log_in(self) -> None:
        credentials = {"email": self.email, "password": self.password}
        with requests.Session() as session:
            session.mount("http://", FromElsewhere())
            response = session.post(f"{self.anonymous.base}/api/v1/auth/login", json=credentials, timeout=15)
        assert response.status_code == 200, response.text
        self.api = self.anonymous.as_user(response.json()["access_token"])

    def sent(self, case, response: requests.Response) -> None:
        body = case.body if isinstance(case.body, dict) else {}
        own = (case.path_parameters or {}).get("user_id") == self.id
        if case.method.upper() == "PATCH" and own and response.status_code == 200 and "password" in body:
            self.password = body["password"]
            self.log_in()


@pytest.fixture
def admin(anonymous, config) -> Admin:
    return Admin(anonymous, config["ADMIN"]["EMAIL"], config["ADMIN"]["PASSWORD"])


@pytest.fixture
def targets(admin, new_customer, config) -> dict:
    """Ids of what exists, for each path parameter: the cases aim at them as well as at made-up ones."""
    customer_user, _, customer = new_customer()
    products = admin.api.get("/products", params={"page_size": 100}).json()["items"]
    order = place(customer, products[0])
    assert order.status_code == 201, order.text
    integrator = admin.api.post("/clients", json={"name": "erp", "scopes": ["stock:write"]}).json()
    return {
        "user_id": [admin.id, customer_user["id"]],
        "client_id": [*(client["CLIENT_ID"] for client in config["SERVICE_CLIENTS"].values()), integrator["client_id"]],
        "product_id": [product["id"] for product in products],
        "order_id": [order.json()["id"]],
    }


@pytest.fixture
def api_schema(system):
    document = requests.get(f"{system.url}/openapi.json", timeout=10).json()
    config = SchemathesisConfig.from_dict({"base-url": system.url})
    return schemathesis.openapi.from_dict(document, config=config)


def _cases(operation, targets: dict) -> st.SearchStrategy:
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    for name, ids in targets.items():
        if "{" + name + "}" in operation.path:
            strategies += [operation.as_strategy(GenerationMode.POSITIVE, path_parameters={name: each})
                           for each in ids]
    return st.one_of(strategies)


def test_an_admin_fuzzing_every_operation_leaves_the_system_working(system, api_schema, admin, targets, anonymous,
                                                                     new_customer, config):
    statuses: dict[str, list[int]] = {}
    server_errors = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @SETTINGS
        @hypothesis.given(case=_cases(operation, targets))
        def send(case):
            response = case.call(headers={"Authorization": f"Bearer {admin.api.token}"})
            statuses.setdefault(case.operation.label, []).append(response.status_code)
            admin.sent(case, response)
            if response.status_code >= 500:
                server_errors.append((case.operation.label, response.status_code, case.body, response.text[:300]))

        send()
    assert not server_errors, "\n".join(map(repr, server_errors))
    assert any(204 in codes for label, codes in statuses.items() if label.startswith("DELETE")), statuses

    assert requests.get(f"{system.url}/readyz", timeout=15).status_code == 200
    admin.log_in()
    assert admin.api.get("/users/me").json()["role"] == "admin"
    product = admin.api.post("/products", json={"sku": f"AFTER-{uuid.uuid4().hex[:8]}", "name": "After",
                                                "price": "3.00", "currency": "EUR", "stock": 5})
    assert product.status_code == 201, product.text
    customer = new_customer()[2]
    order = place(customer, product.json())
    assert order.status_code == 201, order.text
    wait_for_status(customer, order.json()["id"], "confirmed")
    deadline = time.monotonic() + 60  # unpaid orders expire, outboxes drain, sagas finish
    while not (report := check(config, grace=0)).ok and time.monotonic() < deadline:
        time.sleep(0.5)
    assert report.ok, f"the system did not settle into a consistent state:\n{report}"
    print(f"admin fuzz run: {sum(map(len, statuses.values()))} cases over {len(statuses)} operations")
