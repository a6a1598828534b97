"""Traces and JSON logs of the running system (its processes run with OTEL_TRACES_FILE and
LOG_FORMAT=json, tests/e2e/conftest.py).

The services are separate processes, so their spans cannot reach an in-memory exporter in this
one: each process's SDK writes them to one shared file (plumbing/tracing.py JsonLinesSpanExporter),
and the test reads them back."""

import json
import uuid

import pytest
import requests

from gateway.api.health import SERVICES
from tests.e2e.conftest import PASSWORD, login
from tests.e2e.test_order_saga import ADDRESS, wait_for_status
from tests.polling import wait_until


def _spans(spans_file) -> list[dict]:
    if not spans_file.exists():
        return []
    return [json.loads(line) for line in spans_file.read_text().splitlines()]


def _trace_of(spans: list[dict], trace_id: str) -> list[dict]:
    return [span for span in spans if span["context"]["trace_id"] == trace_id]


def _span_of_request(spans_file, request_id: str) -> dict | None:
    return next((s for s in _spans(spans_file) if s["attributes"].get("oms.request_id") == request_id), None)


@pytest.fixture(scope="module")
def traced_order(system, admin, anonymous, product_for_trace, spans_file):
    """An order placed (with a request id of ours) and paid: (order, request id, trace id)."""
    customer = anonymous.as_user(login(anonymous, *_registered(anonymous))["access_token"])
    request_id = f"trace-{uuid.uuid4().hex}"
    body = {"items": [{"product_id": product_for_trace["id"], "quantity": 1}], "shipping_address": ADDRESS,
            "payment_token": "tok_visa"}
    placed = customer.post("/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex,
                                                         "X-Request-ID": request_id})
    assert placed.status_code == 201, placed.text
    order = wait_for_status(customer, placed.json()["id"], "confirmed")
    root = wait_until(lambda: _span_of_request(spans_file, request_id), what="the gateway's span of POST /orders")
    return order, request_id, root["context"]["trace_id"]


def _registered(anonymous) -> tuple[str, str]:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    response = anonymous.post("/auth/register", json={"email": email, "password": PASSWORD, "name": "Traced"})
    assert response.status_code == 201, response.text
    return email, PASSWORD


@pytest.fixture(scope="module")
def product_for_trace(admin) -> dict:
    response = admin.post(
        "/products",
        json={"sku": f"TRACE-{uuid.uuid4().hex[:8]}", "name": "Traced", "price": "3.00", "currency": "EUR",
              "stock": 5},
    )
    assert response.status_code == 201, response.text
    return response.json()


EXPECTED_SPANS = {
    ("gateway", "SpanKind.SERVER", "POST /api/v1/orders"),
    ("gateway", "SpanKind.CLIENT", "orders.create_order"),
    ("orders", "SpanKind.SERVER", "orders.create_order"),
    ("orders", "SpanKind.CLIENT", "products.reserve_stock"),
    ("products", "SpanKind.SERVER", "products.reserve_stock"),
    ("orders", "SpanKind.PRODUCER", "orders.order_created publish"),
    ("payments", "SpanKind.CONSUMER", "payments handles orders.order_created"),
    ("payments", "SpanKind.PRODUCER", "payments.payment_authorized publish"),
    ("orders", "SpanKind.CONSUMER", "orders handles payments.payment_authorized"),
    ("orders", "SpanKind.PRODUCER", "orders.order_confirmed publish"),
    ("products", "SpanKind.CONSUMER", "products handles orders.order_confirmed"),
    ("notifications", "SpanKind.CONSUMER", "notifications handles orders.order_confirmed"),
}


def _described(span: dict) -> tuple[str, str, str]:
    return span["resource"]["attributes"]["service.name"], span["kind"], span["name"]


def test_one_orders_spans_share_one_trace_across_every_service(traced_order, spans_file):
    _, _, trace_id = traced_order
    trace = wait_until(
        lambda: (spans := _trace_of(_spans(spans_file), trace_id))
        and EXPECTED_SPANS <= {_described(span) for span in spans} and spans,
        what="every span of the order's saga",
    )
    assert {"gateway", "orders", "products", "payments", "notifications"} <= {_described(s)[0] for s in trace}
    ids = {span["context"]["span_id"] for span in trace}
    roots = [span for span in trace if span["parent_id"] is None]
    assert [_described(root) for root in roots] == [("gateway", "SpanKind.SERVER", "POST /api/v1/orders")]
    assert all(span["parent_id"] in ids for span in trace if span not in roots), "a span's parent is missing"
    by_id = {span["context"]["span_id"]: span for span in trace}
    for span in trace:  # every server span is the child of a client span, every consumer of a producer
        parent = by_id.get(span["parent_id"])
        if span["kind"] == "SpanKind.SERVER" and parent is not None:
            assert parent["kind"] == "SpanKind.CLIENT" and parent["name"] == span["name"]
        if span["kind"] == "SpanKind.CONSUMER":
            assert parent["kind"] == "SpanKind.PRODUCER"


def test_a_request_of_another_trace_starts_its_own(traced_order, spans_file, anonymous):
    _, _, trace_id = traced_order
    request_id = f"other-{uuid.uuid4().hex}"
    anonymous.get("/products", params={"q": request_id}, headers={"X-Request-ID": request_id})
    other = wait_until(lambda: _span_of_request(spans_file, request_id), what="the span of GET /products")
    assert other["context"]["trace_id"] != trace_id and other["parent_id"] is None


def _json_lines(system, process: str) -> list[dict]:
    return [json.loads(line) for line in (system.log_dir / f"{process}.log").read_text().splitlines()]


def test_every_process_logs_one_json_object_per_line(system, traced_order):
    for process in system.processes:
        lines = _json_lines(system, process)  # fails on a line that is not JSON
        assert lines and all(line["service"] in (process, "-") for line in lines), process


def test_service_logs_carry_request_trace_and_event_ids(system, traced_order):
    _, request_id, span_trace_id = traced_order
    trace_id = span_trace_id.removeprefix("0x")  # the SDK's JSON writes ids as 0x-prefixed hex

    def saga_lines():
        lines = _json_lines(system, "orders") + _json_lines(system, "payments")
        return [line for line in lines if line["trace_id"] == trace_id] or None

    lines = wait_until(saga_lines, what="the saga's log lines")
    for line in lines:
        assert {"time", "level", "service", "logger", "message", "request_id", "trace_id", "event_id"} <= set(line)
    placed = next(line for line in lines if line["service"] == "orders" and line["event_id"] is None)
    assert placed["logger"] == "oms.calls" and placed["level"] == "INFO" and placed["request_id"] == request_id
    assert placed["message"].split()[1] == "ok" and placed["time"].endswith("+00:00")
    handled = wait_until(
        lambda: [line for line in saga_lines() or [] if line["service"] == "payments" and line["event_id"]],
        what="payments' line for order_created",
    )
    assert uuid.UUID(handled[0]["event_id"]) and handled[0]["request_id"] == request_id


def test_the_readiness_pings_are_children_of_their_request(system, spans_file):
    request_id = f"ready-{uuid.uuid4().hex}"
    assert requests.get(f"{system.url}/readyz", headers={"X-Request-ID": request_id}, timeout=10).status_code == 200
    root = wait_until(lambda: _span_of_request(spans_file, request_id), what="the span of GET /readyz")

    def pings():
        found = [span for span in _trace_of(_spans(spans_file), root["context"]["trace_id"])
                 if span["name"].endswith(".ping")]
        return found if len(found) == 2 * len(SERVICES) else None  # a client span and a server span per service

    clients = [span for span in wait_until(pings, what="the pings' spans") if span["kind"] == "SpanKind.CLIENT"]
    assert len(clients) == len(SERVICES) and all(span["parent_id"] == root["context"]["span_id"] for span in clients)
