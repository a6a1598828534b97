"""schemathesis hooks for the run of tests/e2e/test_api_fuzz.py, loaded by the CLI through
SCHEMATHESIS_HOOKS. They make a drawn request one a real client could send, where the document
can't say what that takes, and keep the run off what it must leave alone:

- A request that would change or delete a user, product or order the run must leave alone (one
  that existed before it started, its own accounts, the products its orders use) goes to the
  run's spare one of that kind instead. Filtering such cases out starved operations whose ids
  schemathesis draws from earlier answers (DELETE /products/{product_id} failed the
  filter_too_much health check).
- Each request with an Idempotency-Key (a new order, a shipment, a return, a refund, ...) gets a
  new one, as a client's does: the same key with another body is rightly refused (422, as the
  IETF Idempotency-Key draft says), and schemathesis draws few distinct keys; a missing or invalid
  key is left as drawn.
- A valid `current_password` is made the caller's own (all the run's accounts share one): a wrong
  one is rightly a 403 and counts as a failed login; an invalid or missing one is left as drawn.
- An order's items name products that exist, each once (the run's own, with stock): an unknown
  or repeated id is rightly a 422, as the document says in words, and no JSON Schema can say
  which ids exist or that a property is unique across items. It also keeps the run from selling
  other tests' stock. So do the items of a shipment, a line cancellation, a return and a return's
  receipt: they name the lines of an order. A quote's items name products as an order's do.
- A new order cites no quote: a valid quote id drawn is dropped (the quote must be the caller's own
  and unused, which no schema can say; an unknown one is rightly a 422, tests/e2e/test_quotes.py);
  an invalid one is left as drawn.

`map_case`, not `map_headers`/`map_body`: those apply to the fuzzing phase's strategies only,
while case hooks run on the coverage phase's cases too."""

import json
import os
import uuid

import schemathesis

PROTECTED = frozenset(json.loads(os.environ["OMS_FUZZ_PROTECTED"]))
# {"user_id": ..., "product_id": ..., "order_id": ...}: what a protected target is replaced with.
SPARE = json.loads(os.environ["OMS_FUZZ_SPARE"])
ORDERABLE = json.loads(os.environ["OMS_FUZZ_ORDERABLE"])
PASSWORD = os.environ["OMS_FUZZ_PASSWORD"]
MUTATING = {"PATCH", "PUT", "POST", "DELETE"}
# The operations whose body's `items` name products: a new order, and its lines after the sale.
NEW_ORDER = ("POST", "/api/v1/orders")
ITEMS_NAME_PRODUCTS = {
    NEW_ORDER,
    ("POST", "/api/v1/quotes"),
    ("POST", "/api/v1/orders/{order_id}/shipments"),
    ("POST", "/api/v1/orders/{order_id}/cancel-items"),
    ("POST", "/api/v1/orders/{order_id}/returns"),
    ("POST", "/api/v1/returns/{return_id}/receive"),
}
USER_CHANGE = ("PATCH", "/api/v1/users/{user_id}")


def _protected_targets(case) -> dict:
    if case.method.upper() not in MUTATING:
        return {}
    return {name: value for name, value in (case.path_parameters or {}).items() if str(value) in PROTECTED}


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Only a protected target with no spare of its kind is left out."""
    return set(_protected_targets(case)) <= set(SPARE)


@schemathesis.hook
def map_case(context, case):
    for name in _protected_targets(case):
        case.path_parameters[name] = SPARE[name]
    if case.method.upper() in MUTATING:
        _with_a_fresh_key(case.headers)
    if (case.method.upper(), case.path) in ITEMS_NAME_PRODUCTS:
        _with_known_products(case.body)
    if (case.method.upper(), case.path) == NEW_ORDER:
        _without_a_valid_quote(case.body)
    if (case.method.upper(), case.path) == USER_CHANGE:
        _with_the_callers_password(case.body)
    return case


def _without_a_valid_quote(body) -> None:
    quote_id = body.get("quote_id") if isinstance(body, dict) else None
    if isinstance(quote_id, str) and 1 <= len(quote_id) <= 36:
        del body["quote_id"]


def _with_a_fresh_key(headers: dict | None) -> None:
    key = (headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 200:
        headers["Idempotency-Key"] = uuid.uuid4().hex


def _with_the_callers_password(body) -> None:
    drawn = body.get("current_password") if isinstance(body, dict) else None
    if isinstance(drawn, str) and 1 <= len(drawn) <= 128:
        body["current_password"] = PASSWORD


def _with_known_products(body) -> None:
    """Item i with a valid id names the run's product i; an invalid one is left as drawn."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return
    for item, product_id in zip(items, ORDERABLE, strict=False):
        drawn = item.get("product_id") if isinstance(item, dict) else None
        if isinstance(drawn, str) and 1 <= len(drawn) <= 36:
            item["product_id"] = product_id
