"""The order_queries service on the real broker and database: the projection under redelivery
and disorder, and what each caller may read."""

import uuid

import pytest
from prometheus_client import REGISTRY

from contracts.events import (
    ORDER_ADDRESS_CHANGED,
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_CREATED,
    ORDER_DELETED,
    ORDER_REFUNDED,
    PAYMENT_AUTHORIZED,
    PAYMENT_REFUNDED,
    USER_REGISTERED,
    USER_UPDATED,
)
from order_queries.service import OrderQueriesService
from tests.integration.eventing import call, deliver, event, purge_events
from tests.tokens import ADMIN, Client, User
from wire.cursors import encode_cursor
from wire.errors import Forbidden, Invalid

ADA = User("user-ada")
BOB = User("user-bob")
ADDRESS = {"name": "Ada", "line1": "1 Main St", "line2": None, "city": "Paris", "postal_code": "75001", "country": "FR"}
LINE = {"product_id": "p-1", "sku": "SKU-1", "name": "Widget", "quantity": 2, "unit_price": "10.00",
        "line_total": "20.00"}
NOTHING_MOVED = {"shipped_quantity": 0, "cancelled_quantity": 0, "delivered_quantity": 0, "returned_quantity": 0}


@pytest.fixture
def queries_container(start_container, config):
    purge_events(config, [OrderQueriesService])
    return start_container(OrderQueriesService)


def _entry(sequence, from_status, to_status, at):
    return {"from_status": from_status, "to_status": to_status, "at": at, "actor": "x", "reason": f"step {sequence}"}


def created(order_id, user=ADA, total="20.00", at="2026-12-01T10:00:00+00:00"):
    return event(
        ORDER_CREATED, order_id=order_id, user_id=user.id, total=total, currency="EUR", payment_token="tok_visa",
        items=[{"product_id": "p-1", "quantity": 2, "unit_price": "10.00"}], lines=[LINE],
        shipping_address=ADDRESS, placed_at=at, sequence=1, status="pending_payment",
        history_entry=_entry(1, None, "pending_payment", at),
    )


def moved(event_type, order_id, sequence, from_status, to_status, user=ADA, **extra):
    return event(
        event_type, order_id=order_id, user_id=user.id, total="20.00", currency="EUR", sequence=sequence,
        status=to_status, history_entry=_entry(sequence, from_status, to_status, f"2026-12-01T10:0{sequence}:00+00:00"),
        **extra,
    )


def paid(order_id, event_type=PAYMENT_AUTHORIZED, user=ADA, version=1, status="authorized", amount="20.00",
         at="2026-12-01T10:01:00+00:00", **ledger):
    """A payment event with the ledger it left (authorized 20.00, nothing else, unless `ledger`)."""
    ledger = {"authorized": "20.00", "captured": "0.00", "refunded": "0.00", "voided": "0.00", **ledger}
    return event(event_type, order_id=order_id, user_id=user.id, payment_id="pay-1", amount=amount, currency="EUR",
                 status=status, ledger_version=version, occurred_at=at, **ledger)


def view(container, order_id, as_=ADMIN):
    found = call(container, "get_orders", [order_id], as_=as_)
    return found[0] if found else None


def test_events_in_any_order_and_repeated_give_the_same_view(config, queries_container):
    order_id = str(uuid.uuid4())
    confirmed = moved(ORDER_CONFIRMED, order_id, 2, "pending_payment", "confirmed")
    cancelled = moved(ORDER_CANCELLED, order_id, 3, "confirmed", "cancelled", reason="changed mind")
    refunded = moved(ORDER_REFUNDED, order_id, 4, "cancelled", "refunded")
    # Newest first, the payment's refund before its success, order_created last and twice.
    deliver(config, queries_container, "handle_order_refunded", refunded)
    deliver(config, queries_container, "handle_payment_refunded",
            paid(order_id, PAYMENT_REFUNDED, version=3, status="refunded", at="2026-12-01T10:05:00+00:00",
                 kind="cancellation", reference="cancellation", captured="20.00", refunded="20.00"))
    assert view(queries_container, order_id) is None  # no order_created yet: not shown
    deliver(config, queries_container, "handle_order_confirmed", confirmed)
    deliver(config, queries_container, "handle_payment_authorized", paid(order_id))  # older: the ledger stays
    deliver(config, queries_container, "handle_order_cancelled", cancelled)
    first = created(order_id)
    deliver(config, queries_container, "handle_order_created", first)
    deliver(config, queries_container, "handle_order_created", first)  # redelivered

    shown = view(queries_container, order_id)
    assert shown["status"] == "refunded" and shown["sequence"] == 4
    assert [step["to_status"] for step in shown["history"]] == ["pending_payment", "confirmed", "cancelled", "refunded"]
    payment = shown.pop("payment")
    assert [(op["type"], op["reference"], op["amount"]) for op in payment.pop("operations")] == [
        ("authorize", order_id, "20.00"), ("refund", "cancellation", "20.00")]
    assert payment == {"id": "pay-1", "status": "refunded", "amount": "20.00", "currency": "EUR",
                       "authorized": "20.00", "captured": "20.00", "refunded": "20.00", "voided": "0.00"}
    assert shown["items"] == [{**LINE, **NOTHING_MOVED}]
    assert shown["total"] == "20.00" and shown["shipping_address"] == ADDRESS
    assert shown["created_at"].startswith("2026-12-01T10:00:00")


def test_an_older_address_change_does_not_replace_a_newer_one(config, queries_container):
    order_id = str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(order_id))
    newer = {**ADDRESS, "city": "Lyon"}
    older = {**ADDRESS, "city": "Nice"}
    deliver(config, queries_container, "handle_order_address_changed",
            event(ORDER_ADDRESS_CHANGED, order_id=order_id, user_id=ADA.id, total="20.00", currency="EUR",
                  sequence=3, status="pending_payment", shipping_address=newer))
    deliver(config, queries_container, "handle_order_address_changed",
            event(ORDER_ADDRESS_CHANGED, order_id=order_id, user_id=ADA.id, total="20.00", currency="EUR",
                  sequence=2, status="pending_payment", shipping_address=older))
    assert view(queries_container, order_id)["shipping_address"]["city"] == "Lyon"


def test_a_deleted_order_stays_gone_when_a_late_event_arrives(config, queries_container):
    order_id = str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(order_id))
    deliver(config, queries_container, "handle_order_deleted",
            event(ORDER_DELETED, order_id=order_id, user_id=ADA.id, total="20.00", currency="EUR", sequence=3,
                  status="cancelled"))
    deliver(config, queries_container, "handle_order_cancelled",
            moved(ORDER_CANCELLED, order_id, 2, "pending_payment", "cancelled", reason="expired"))
    assert view(queries_container, order_id) is None


def test_the_customer_is_the_newest_registration_or_update(config, queries_container):
    order_id = str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(order_id))
    update = event(USER_UPDATED, user_id=ADA.id, email="ada.new@example.com", name="Ada L.",
                   occurred_at="2026-12-01T12:00:00+00:00")
    registration = event(USER_REGISTERED, user_id=ADA.id, email="ada@example.com", name="Ada",
                         occurred_at="2026-12-01T09:00:00+00:00")
    deliver(config, queries_container, "handle_user_updated", update)
    deliver(config, queries_container, "handle_user_registered", registration)  # late
    assert view(queries_container, order_id)["customer"] == {"id": ADA.id, "email": "ada.new@example.com",
                                                            "name": "Ada L."}
    [mine] = call(queries_container, "list_orders", {"filter": {"customer_email": "ada.new@example.com"}},
                  as_=ADMIN)["items"]
    assert mine["id"] == order_id


def test_a_customer_reads_only_its_own_orders_whatever_it_asks(config, queries_container):
    ada_order, bob_order = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(ada_order))
    deliver(config, queries_container, "handle_order_created", created(bob_order, user=BOB))

    assert [o["id"] for o in call(queries_container, "list_orders", {}, as_=ADA)["items"]] == [ada_order]
    assert call(queries_container, "get_orders", [bob_order], as_=ADA) == []
    assert {o["id"] for o in call(queries_container, "list_orders", {}, as_=ADMIN)["items"]} == {ada_order, bob_order}
    reader = Client("integrator", ("orders:read",))
    assert len(call(queries_container, "get_orders", [ada_order, bob_order], as_=reader)) == 2
    with pytest.raises(Forbidden):
        call(queries_container, "list_orders", {"filter": {"customer_email": "bob@example.com"}}, as_=ADA)
    with pytest.raises(Forbidden):
        call(queries_container, "export_orders", {}, as_=ADA)


def test_pages_follow_cursors_newest_first_with_filters_and_a_total(config, queries_container):
    ids = []
    for minute in range(5):
        order_id = str(uuid.uuid4())
        ids.append(order_id)
        deliver(config, queries_container, "handle_order_created",
                created(order_id, total=f"{10 + minute}.00", at=f"2026-12-01T10:0{minute}:00+00:00"))
    seen, after = [], None
    while True:
        page = call(queries_container, "list_orders", {"first": 2, "after": after, "with_total": True}, as_=ADA)
        assert page["total_count"] == 5
        seen += [o["id"] for o in page["items"]]
        if not page["has_next_page"]:
            break
        after = page["end_cursor"]
    assert seen == ids[::-1]
    cheap = call(queries_container, "list_orders", {"filter": {"max_total": "11.00"}, "with_total": True}, as_=ADA)
    assert cheap["total_count"] == 2 and cheap["items"][0]["total"] == "11.00"
    with pytest.raises(Invalid):
        call(queries_container, "list_orders", {"first": 101}, as_=ADA)
    with pytest.raises(Invalid):
        call(queries_container, "list_orders", {"after": "not-a-cursor"}, as_=ADA)
    with pytest.raises(Invalid):
        call(queries_container, "list_orders", {"first": 2, "last": 2}, as_=ADA)


def _pages(queries_container, page: dict, size_key: str, cursor_key: str, more_key: str) -> list[list[str]]:
    """Every page from one end, following `cursor_key` while `more_key` says there is more."""
    pages, cursor = [], None
    while True:
        answer = call(queries_container, "list_orders", {**page, size_key: 2, cursor_key[0]: cursor}, as_=ADA)
        pages.append([o["id"] for o in answer["items"]])
        if not answer[more_key]:
            return pages
        cursor = answer[cursor_key[1]]


def test_paging_backwards_from_the_end_gives_the_forward_pages_reversed(config, queries_container):
    """Five orders in pages of two: backwards (last 2 before start cursor) meets the same orders,
    newest first inside each page, as forwards; the flags on each side say where there is more."""
    ids = []
    for minute in range(5):
        order_id = str(uuid.uuid4())
        ids.append(order_id)
        deliver(config, queries_container, "handle_order_created",
                created(order_id, total=f"{10 + minute}.00", at=f"2026-12-01T11:0{minute}:00+00:00"))
    newest_first = ids[::-1]
    forward = _pages(queries_container, {}, "first", ("after", "end_cursor"), "has_next_page")
    backward = _pages(queries_container, {}, "last", ("before", "start_cursor"), "has_previous_page")
    assert forward == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert backward == [newest_first[3:], newest_first[1:3], newest_first[:1]]
    assert [o for page in backward[::-1] for o in page] == [o for page in forward for o in page]

    oldest = call(queries_container, "list_orders", {"last": 2}, as_=ADA)
    assert oldest["has_next_page"] is False and oldest["has_previous_page"] is True
    second = call(queries_container, "list_orders", {"first": 2, "after": oldest["start_cursor"]}, as_=ADA)
    assert [o["id"] for o in second["items"]] == newest_first[4:]
    assert second["has_previous_page"] is True and second["has_next_page"] is False
    newest = call(queries_container, "list_orders", {"first": 1}, as_=ADA)["end_cursor"]
    between = call(queries_container, "list_orders", {"first": 5, "after": newest, "before": oldest["end_cursor"]},
                   as_=ADA)
    assert [o["id"] for o in between["items"]] == newest_first[1:4]
    cheap_backward = call(queries_container, "list_orders", {"filter": {"max_total": "11.00"}, "last": 1}, as_=ADA)
    assert [o["id"] for o in cheap_backward["items"]] == [ids[0]]


def test_a_cursor_of_another_list_is_refused(config, queries_container):
    product_cursor = encode_cursor("product", 3)
    for argument in ("after", "before"):
        with pytest.raises(Invalid) as refused:
            call(queries_container, "list_orders", {argument: product_cursor}, as_=ADA)
        assert argument in refused.value.errors


def test_lag_reports_the_newest_applied_event_and_what_waits(config, queries_container):
    order_id = str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(order_id))
    lag = call(queries_container, "lag")
    assert lag["queued"] == 0 and lag["lag_ms"] >= 0
    assert lag["last_event_at"] is not None


def test_the_lag_is_read_by_prometheus_when_scraped(config, queries_container):
    deliver(config, queries_container, "handle_order_created", created(str(uuid.uuid4())))
    # The report the RPC gives, at scrape time (one running container in this process).
    assert REGISTRY.get_sample_value("oms_read_model_queued_events") == 0
    lag = REGISTRY.get_sample_value("oms_read_model_lag_seconds")
    assert lag is not None and lag * 1000 == pytest.approx(call(queries_container, "lag")["lag_ms"], abs=1)
