"""A bounded property-based run of the whole API (schemathesis) against the running system.

Every operation of /openapi.json gets generated requests, valid and invalid, and some aimed at
resources that exist (the run's own product and order); each is sent once as a customer and once
as an admin. No answer may be a 5xx or contradict the document (status code, content type,
headers, body schema), and invalid input must be refused. The run is deterministic (derandomized
Hypothesis, no example database) and bounded: MAX_EXAMPLES cases per operation and kind.

Safe beside the other tests of the package: the run has accounts of its own, and it never
changes or deletes a user, product or order that existed before it started, nor its own accounts.

schemathesis' pytest plugin (`from_fixture`) does not run under pytest 9.2 (it sets a node's
`_nodeid`, which pytest removed), so Hypothesis drives the operations' strategies directly."""

import uuid

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.e2e.conftest import PASSWORD, Api, login

MAX_EXAMPLES = 10
MUTATING = {"PATCH", "PUT", "POST", "DELETE"}
sent = {"customer": 0, "admin": 0}
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[hypothesis.Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(hypothesis.HealthCheck),
)


def _fuzz_config(base_url: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "base-url": base_url,
            "checks": {
                # A schema cannot say which product ids exist or which token pays: a valid-looking
                # order for a made-up product is rightly refused (422), so "valid data is accepted"
                # does not apply.
                "positive_data_acceptance": {"enabled": False},
            },
        }
    )


def _every(api: Api, path: str) -> list[dict]:
    items, page = [], 1
    while True:
        body = api.get(path, params={"page": page, "page_size": 100}).json()
        items += body["items"]
        if page * 100 >= body["total"]:
            return items
        page += 1


def _register(anonymous: Api, name: str) -> tuple[dict, str]:
    email = f"fuzz-{name}-{uuid.uuid4().hex[:8]}@example.com"
    user = anonymous.post("/auth/register", json={"email": email, "password": PASSWORD, "name": name})
    assert user.status_code == 201, user.text
    return user.json(), email


@pytest.fixture(scope="module")
def fuzz_run(anonymous, admin) -> dict:
    """The run's accounts (a customer, an admin), resources of its own to aim at, and the ids it
    must leave alone."""
    protected = {item["id"] for path in ("/users", "/products", "/orders") for item in _every(admin, path)}
    tokens = {}
    for role in ("customer", "admin"):
        user, email = _register(anonymous, role)
        if role == "admin":
            promoted = admin.patch(f"/users/{user['id']}", json={"role": "admin"})
            assert promoted.status_code == 200, promoted.text
        tokens[role] = login(anonymous, email, PASSWORD)["access_token"]
        protected.add(user["id"])
    victim, _ = _register(anonymous, "victim")
    fuzz_admin = anonymous.as_user(tokens["admin"])
    product = fuzz_admin.post(
        "/products",
        json={"sku": f"FUZZ-{uuid.uuid4().hex[:8]}", "name": "Fuzz", "price": "5.00", "currency": "EUR", "stock": 50},
    ).json()
    order = anonymous.as_user(tokens["customer"]).post(
        "/orders",
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={
            "items": [{"product_id": product["id"], "quantity": 1}],
            "shipping_address": {"name": "F", "line1": "1 Road", "city": "Town", "postal_code": "1", "country": "DE"},
            "payment_token": "tok_visa",
        },
    ).json()
    return {
        "tokens": tokens,
        "protected": protected,
        "own": {"user_id": victim["id"], "product_id": product["id"], "order_id": order["id"]},
    }


@pytest.fixture(scope="module")
def api_schema(system):
    document = requests.get(f"{system.url}/openapi.json", timeout=10).json()
    return schemathesis.openapi.from_dict(document, config=_fuzz_config(system.url))


def _cases(operation, own: dict) -> st.SearchStrategy:
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    aimed = {name: own[name] for name in own if "{" + name + "}" in operation.path}
    if aimed:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=aimed))
    return st.one_of(strategies)


def test_the_api_answers_as_documented(api_schema, fuzz_run):
    failures = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @SETTINGS
        @hypothesis.given(case=_cases(operation, fuzz_run["own"]))
        def answers_as_documented(case):
            targets = {str(value) for value in (case.path_parameters or {}).values()}
            if case.method.upper() in MUTATING and targets & fuzz_run["protected"]:
                return  # someone else's user, product or order, or the run's own account
            for role, token in fuzz_run["tokens"].items():
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
                sent[role] += 1

        try:
            answers_as_documented()
        except (Exception, BaseExceptionGroup) as exc:  # every operation runs; failures are reported together
            failures[operation.label] = exc
    print(f"fuzz run: {sent['customer']} cases as a customer, {sent['admin']} as an admin")
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())
    assert min(sent.values()) >= 150, sent
