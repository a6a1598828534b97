"""Invoice numbers stay gap-free and unique with two payments instances issuing at once, and when
the issuing process is killed (kill -9) between taking a number and committing the invoice. An
invoice is issued with a parcel's capture (payments.capture_payment, which orders calls as the
parcel ships), so these tests ship orders."""

import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import quote

from sqlalchemy import text

from plumbing.broker import BrokerAdmin, vhost_of
from tests.e2e.test_order_saga import place, wait_for_status
from tests.polling import wait_until

ORDERS = 50


def sequences(payments_db) -> list[int]:
    """This year's invoice sequence numbers, in order, and the counter's value appended."""
    year = datetime.now(UTC).year
    with payments_db.connect() as conn:
        numbers = conn.execute(text("SELECT sequence FROM invoices WHERE year = :year ORDER BY sequence"),
                               {"year": year}).scalars().all()
        counter = conn.execute(text("SELECT last_number FROM document_counters WHERE kind = 'invoice' AND"
                                    " year = :year"), {"year": year}).scalar() or 0
    return [*numbers, counter]


def invoiced(payments_db, order_ids: list[str]) -> dict[str, str]:
    with payments_db.connect() as conn:
        rows = conn.execute(text("SELECT order_id, number FROM invoices WHERE order_id = ANY(:ids)"),
                            {"ids": order_ids}).all()
    return dict(rows)


def assert_gap_free(payments_db) -> int:
    *numbers, counter = sequences(payments_db)
    assert numbers == list(range(1, len(numbers) + 1)), "a gap or a duplicate"
    assert counter == len(numbers), "the counter gave out a number no invoice holds"
    return len(numbers)


def place_retrying(api, product):
    """An order, placed again with the same Idempotency-Key after a 503 (a busy machine may time out
    an RPC): the same order either way."""
    key = uuid.uuid4().hex
    for _ in range(5):
        response = place(api, product, key=key)
        if response.status_code != 503:
            return response
        time.sleep(1)
    return response


def ship(admin, order: dict, key: str):
    """A parcel of all of the order."""
    body = {"items": [{"product_id": item["product_id"], "quantity": item["quantity"]} for item in order["items"]],
            "carrier": "DHL", "tracking_number": None}
    return admin.post(f"/orders/{order['id']}/shipments", json=body, headers={"Idempotency-Key": key})


def ship_retrying(admin, order: dict):
    """The order's parcel, asked again with the same Idempotency-Key after a 503 (a busy machine
    may time out an RPC): the same parcel either way, completed by the retry."""
    key = uuid.uuid4().hex
    for _ in range(5):
        response = ship(admin, order, key)
        if response.status_code != 503:
            return response
        time.sleep(1)
    return response


def payments_consumers(config) -> int:
    """How many payments instances serve its RPCs (capture_payment issues the invoice)."""
    admin, vhost = BrokerAdmin(config["BROKER"]["ADMIN_URL"]), quote(vhost_of(config["AMQP_URI"]), safe="")
    return admin._request("GET", f"queues/{vhost}/rpc-payments").json().get("consumers", 0)


def handled_captures(system, process: str) -> int:
    return system.log_tail(process, lines=100_000).count("payments.capture_payment.")


def test_fifty_parcels_shipped_at_once_over_two_payments_instances_are_invoiced_without_gaps(
    system, config, new_customer, admin, product, payments_db
):
    admin.put(f"/products/{product['id']}/stock", json={"stock": ORDERS})
    shoppers = [new_customer()[2] for _ in range(5)]
    with ThreadPoolExecutor(10) as pool:
        placed = list(pool.map(lambda n: place_retrying(shoppers[n % 5], product), range(ORDERS)))
    assert [r.status_code for r in placed] == [201] * ORDERS
    orders = [wait_for_status(admin, r.json()["id"], "confirmed") for r in placed]
    before = assert_gap_free(payments_db)
    system.start_service("payments", instance="payments-2")
    try:
        wait_until(lambda: payments_consumers(config) == 2, timeout=60, what="the second instance")
        with ThreadPoolExecutor(10) as pool:
            shipped = list(pool.map(lambda order: ship_retrying(admin, order), orders))
        assert [r.status_code for r in shipped] == [201] * ORDERS, [r.text for r in shipped if r.status_code != 201]
        numbers = invoiced(payments_db, [order["id"] for order in orders])
    finally:
        system.stop("payments-2")

    year = datetime.now(UTC).year
    assert sorted(numbers.values()) == [f"INV-{year}-{n:06d}" for n in range(before + 1, before + ORDERS + 1)]
    assert sorted(r.json()["invoice_number"] for r in shipped) == sorted(numbers.values())
    assert assert_gap_free(payments_db) == before + ORDERS
    assert handled_captures(system, "payments") and handled_captures(system, "payments-2"), (
        "both instances issued invoices")


def test_kill_9_between_taking_a_number_and_committing_leaves_no_gap_and_no_duplicate(
    system, config, customer, admin, product, payments_db
):
    order = wait_for_status(customer, place_retrying(customer, product).json()["id"], "confirmed")
    second = wait_for_status(customer, place_retrying(customer, product).json()["id"], "confirmed")
    before = assert_gap_free(payments_db)
    system.stop("payments")
    # The broker's figures lag by seconds: see the old instance gone before the new one there.
    wait_until(lambda: payments_consumers(config) == 0, timeout=60, what="payments gone")
    # The only payments now: it sleeps once it has taken an invoice's number, before committing.
    system.start_service("payments", instance="payments-paused", env={"INVOICING_PAUSE_AFTER_NUMBERING": "60"})
    key = uuid.uuid4().hex
    try:
        wait_until(lambda: payments_consumers(config) == 1, timeout=60, what="the paused instance")
        # Captured, then paused before its commit: orders gives up waiting (503), the parcel capturing.
        assert ship(admin, order, key).status_code == 503

        def numbered_not_committed():
            with payments_db.connect() as conn:
                return conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'idle in transaction' AND query LIKE 'INSERT INTO document_counters%'"
                )).scalar()

        wait_until(numbered_not_committed, timeout=30, what="payments holding a number it has not committed")
        system.stop("payments-paused", sig=signal.SIGKILL)
        assert invoiced(payments_db, [order["id"]]) == {}
        assert assert_gap_free(payments_db) == before  # the number taken went back with the transaction
    finally:
        if "payments-paused" in system.processes:
            system.stop("payments-paused", sig=signal.SIGKILL)
        wait_until(lambda: payments_consumers(config) == 0, timeout=60, what="the paused instance gone")
        system.start_service("payments")
    wait_until(lambda: payments_consumers(config) == 1, timeout=60, what="payments again")

    # The capture requested before the kill outlived it: asked again (by the same request here, or
    # by orders' timer for a parcel left capturing), the provider answers with the capture it made
    # under the same idempotency key, and the invoice gets the number given back.
    year = datetime.now(UTC).year
    taken = before + 1
    parcel = wait_until(lambda: (r := ship(admin, order, key)).status_code == 201 and r.json(), timeout=60,
                        what="the parcel shipped after the kill")
    assert parcel["invoice_number"] == f"INV-{year}-{taken:06d}"
    assert invoiced(payments_db, [order["id"]]) == {order["id"]: f"INV-{year}-{taken:06d}"}
    captures = [op for op in customer.get(f"/orders/{order['id']}/payment").json()["operations"]
                if op["type"] == "capture" and op["status"] == "succeeded"]
    assert len(captures) == 1  # captured once, for all the asking
    assert ship_retrying(admin, second).json()["invoice_number"] == f"INV-{year}-{taken + 1:06d}"
    assert assert_gap_free(payments_db) == taken + 1
