"""A service's Prometheus endpoint (plumbing/metrics.py): a real payments container on the broker
and its database, scraped over HTTP as Prometheus would."""

import uuid

import pytest
import requests
from nameko.testing.services import restrict_entrypoints
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from orders.service import OrdersService
from payments.service import PaymentsService
from plumbing.metrics import ServiceMetrics
from plumbing.migrations import database_urls
from tests.integration.eventing import call, deliver
from tests.integration.test_payments_service import order_created
from tests.polling import wait_until
from tests.tokens import ADMIN
from wire.errors import NotFound


def scrape(container) -> dict[tuple, float]:
    """{(sample name, frozenset of labels): value} from the container's endpoint."""
    [port] = [ext.port for ext in container.extensions if isinstance(ext, ServiceMetrics)]
    body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def calls(samples: dict, kind: str, method: str, outcome: str) -> float:
    return value(samples, f"oms_{kind}_duration_seconds_count", service="payments", method=method, outcome=outcome)


@pytest.fixture
def payments(start_container, config, users_container):  # its ping holds a client token from users
    # No relay timer during the test: an unsent outbox row stays unsent.
    return start_container(PaymentsService, {**config, "OUTBOX_RELAY_INTERVAL_SECONDS": 3600})


def test_rpc_calls_are_counted_by_method_and_outcome_with_their_latency(payments):
    before = scrape(payments)
    call(payments, "ping")
    call(payments, "ping")
    with pytest.raises(NotFound):
        call(payments, "get_payment", str(uuid.uuid4()), as_=ADMIN)

    after = scrape(payments)
    assert calls(after, "rpc", "ping", "ok") - calls(before, "rpc", "ping", "ok") == 2
    assert calls(after, "rpc", "get_payment", "NotFound") - calls(before, "rpc", "get_payment", "NotFound") == 1
    labels = {"service": "payments", "method": "ping", "outcome": "ok"}
    in_10s = value(after, "oms_rpc_duration_seconds_bucket", **labels, le="10.0")
    assert in_10s == value(after, "oms_rpc_duration_seconds_count", **labels)  # a latency histogram
    summed = "oms_rpc_duration_seconds_sum"
    assert value(after, summed, **labels) > value(before, summed, **labels)


def test_event_handlings_are_counted_by_what_became_of_the_event(config, payments):
    before = scrape(payments)
    payload = deliver(config, payments, "handle_order_created", order_created())
    deliver(config, payments, "handle_order_created", payload)  # redelivered
    deliver(config, payments, "handle_order_created", {**order_created(), "total": "not money"})

    def counted(outcome: str) -> float:
        after = scrape(payments)
        return calls(after, "event", "handle_order_created", outcome) - calls(
            before, "event", "handle_order_created", outcome
        )

    wait_until(lambda: counted("dead_letter") == 1, 5)
    assert (counted("processed"), counted("duplicate")) == (1, 1)
    assert value(scrape(payments), "oms_dead_letters", service="payments") == 1


def test_outbox_backlog_dead_letters_and_pools_are_read_when_scraped(config, payments):
    engine = create_engine(database_urls(config)["payments"])
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO outbox (event_id, event_type, payload, headers, created_at)"
            " VALUES (:e, 'payment_succeeded', '{}', '{}', now() - interval '5 minutes')"
        ), {"e": str(uuid.uuid4())})
        conn.execute(text(
            "INSERT INTO dead_letters (id, event_id, event_type, source_service, handler, payload, error, attempts,"
            " discarded_at) VALUES (:id, 'e', 'order_created', 'orders', 'h', '{}', 'x', 3, now())"
        ), {"id": str(uuid.uuid4())})  # discarded: not counted
    engine.dispose()

    samples = scrape(payments)
    assert value(samples, "oms_outbox_unsent", service="payments") == 1
    assert 300 <= value(samples, "oms_outbox_oldest_unsent_age_seconds", service="payments") < 600
    assert value(samples, "oms_dead_letters", service="payments") == 0
    assert value(samples, "oms_db_pool_size", service="payments", pool="db") == config["DB_ENGINE_OPTIONS"]["pool_size"]
    assert value(samples, "oms_db_pool_size", service="payments", pool="outbox") == 2
    assert ("oms_db_pool_in_use", frozenset({"service": "payments", "pool": "db"}.items())) in samples


def test_a_pending_payment_past_its_expiry_is_read_as_overdue_when_scraped(config, container_factory):
    orders = container_factory(OrdersService, config)
    restrict_entrypoints(orders, "ping")  # no expiry timer: the overdue order stays pending
    orders.start()
    overdue = {"service": "orders", "step": "pending_payment"}
    assert value(scrape(orders), "oms_saga_step_overdue_seconds", **overdue) == 0

    engine = create_engine(database_urls(config)["orders"])
    insert = text(
        "INSERT INTO orders (id, user_id, status, total, currency, shipping_address, paid, idempotency_key,"
        " request_hash, reservation_expires_at)"
        " VALUES (:id, 'u', :status, 1, 'EUR', '{}', false, :id, 'h', now() + make_interval(secs => :expires_in))"
    )
    with engine.begin() as conn:
        for status, expires_in in (("pending_payment", -300), ("pending_payment", 600), ("cancelled", -900)):
            conn.execute(insert, {"id": str(uuid.uuid4()), "status": status, "expires_in": expires_in})
    engine.dispose()

    # The oldest pending one past its expiry: not the cancelled one, nor the one still in time.
    assert 300 <= value(scrape(orders), "oms_saga_step_overdue_seconds", **overdue) < 600
