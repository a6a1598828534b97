"""Stock reservations in `products` (the order saga): a real container, the real database and Redis."""

import copy
import uuid
from datetime import UTC, datetime

import eventlet
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from contracts.events import ORDER_CANCELLED, ORDER_CONFIRMED, ORDER_ITEMS_CANCELLED, ORDERS, RETURN_RECEIVED
from notifications.service import NotificationsService
from operations.session import proxy
from order_queries.service import OrderQueriesService
from payments.service import PaymentsService
from plumbing.migrations import database_urls
from plumbing.product_cache import ProductCache
from products import reservations
from products.models import Product, Reservation
from products.service import ProductsService
from tests.integration.conftest import call
from tests.integration.eventing import deliver, event, purge_events
from tests.tokens import ADMIN, ORDERS_CLIENT
from wire.errors import Conflict, Invalid, NotFound

TTL = 900


def create(container, sku, stock=10, price="19.99", currency="USD", name=None):
    product = {"sku": sku, "name": name or f"Product {sku}", "price": price, "currency": currency, "stock": stock}
    return call(container, "create_product", product, as_=ADMIN)


def reserve(container, order_id, *items, ttl=TTL):
    """items: (product, quantity) pairs."""
    lines = [{"product_id": product["id"], "quantity": quantity} for product, quantity in items]
    return call(container, "reserve_stock", order_id, lines, ttl, as_=ORDERS_CLIENT)


def new_order_id() -> str:
    return str(uuid.uuid4())


def three_widgets_reserved(container) -> tuple[dict, str]:
    """A widget with 10 in stock and a new order holding 3 of them: (widget, order id)."""
    widget = create(container, "WID-1", stock=10)
    order_id = new_order_id()
    reserve(container, order_id, (widget, 3))
    return widget, order_id


@pytest.fixture
def products_db(config):
    engine = create_engine(database_urls(config)["products"])
    yield engine
    engine.dispose()


def counters(engine, product) -> tuple[int, int, int]:
    """(stock, reserved, sold) as the database holds them."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT stock, reserved, sold FROM products WHERE id = :id"), {"id": product["id"]}
        ).one()
    return tuple(row)


def count_rows(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


# --- reserve ------------------------------------------------------------------------------------


def test_reserve_moves_units_from_stock_to_reserved_and_snapshots_prices(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10, price="19.99", name="Blue widget")
    gadget = create(products_container, "GAD-1", stock=3, price="5")
    order_id = new_order_id()
    before = datetime.now(UTC)

    result = reserve(products_container, order_id, (widget, 2), (gadget, 3), ttl=600)

    assert set(result) == {"order_id", "expires_at", "currency", "items"}
    assert result["order_id"] == order_id and result["currency"] == "USD"
    expires_at = datetime.fromisoformat(result["expires_at"])
    assert expires_at.utcoffset().total_seconds() == 0
    assert 590 <= (expires_at - before).total_seconds() <= 610
    assert result["items"] == [
        {"product_id": widget["id"], "sku": "WID-1", "name": "Blue widget", "unit_price": "19.99", "quantity": 2},
        {"product_id": gadget["id"], "sku": "GAD-1", "name": "Product GAD-1", "unit_price": "5.00", "quantity": 3},
    ]
    assert counters(products_db, widget) == (8, 2, 0)
    assert counters(products_db, gadget) == (0, 3, 0)
    stored = call(products_container, "get_reservation", order_id, as_=ORDERS_CLIENT)
    assert stored == {**result, "status": "held"}


def test_reserve_is_all_or_none(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    gadget = create(products_container, "GAD-1", stock=1)

    with pytest.raises(Conflict) as raised:
        reserve(products_container, new_order_id(), (widget, 2), (gadget, 3))

    assert "GAD-1" in raised.value.detail and "WID-1" not in raised.value.detail
    assert raised.value.errors == {
        "items": {"short": [{"product_id": gadget["id"], "sku": "GAD-1", "requested": 3, "available": 1}]}
    }
    assert counters(products_db, widget) == (10, 0, 0)
    assert counters(products_db, gadget) == (1, 0, 0)
    assert count_rows(products_db, "reservations") == 0
    assert count_rows(products_db, "reservation_items") == 0


def test_conflict_names_every_short_item(products_container):
    widget = create(products_container, "WID-1", stock=1)
    gadget = create(products_container, "GAD-1", stock=0)
    with pytest.raises(Conflict) as raised:
        reserve(products_container, new_order_id(), (widget, 2), (gadget, 1))
    assert [s["sku"] for s in raised.value.errors["items"]["short"]] == ["WID-1", "GAD-1"]


def test_reserve_is_idempotent_per_order(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    order_id = new_order_id()
    first = reserve(products_container, order_id, (widget, 4), ttl=60)
    again = reserve(products_container, order_id, (widget, 4), ttl=3600)
    assert again == first
    assert counters(products_db, widget) == (6, 4, 0)
    assert count_rows(products_db, "reservations") == 1


def test_identical_reserves_racing_reserve_once(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    order_id = new_order_id()
    pool = eventlet.GreenPool(8)
    results = list(pool.imap(lambda _: reserve(products_container, order_id, (widget, 3)), range(8)))
    assert all(result == results[0] for result in results)
    assert counters(products_db, widget) == (7, 3, 0)


def test_same_order_with_other_items_conflicts(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    order_id = new_order_id()
    reserve(products_container, order_id, (widget, 1))
    with pytest.raises(Conflict):
        reserve(products_container, order_id, (widget, 2))
    assert counters(products_db, widget) == (9, 1, 0)


def test_duplicate_products_are_merged(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    gadget = create(products_container, "GAD-1", stock=10)
    result = reserve(products_container, new_order_id(), (widget, 2), (gadget, 1), (widget, 3))
    assert [(item["sku"], item["quantity"]) for item in result["items"]] == [("WID-1", 5), ("GAD-1", 1)]
    assert counters(products_db, widget) == (5, 5, 0)


def test_unknown_products_are_invalid_and_named(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    missing = str(uuid.uuid4())
    with pytest.raises(Invalid) as raised:
        call(
            products_container,
            "reserve_stock",
            new_order_id(),
            [{"product_id": widget["id"], "quantity": 1}, {"product_id": missing, "quantity": 1}],
            TTL, as_=ORDERS_CLIENT)
    assert raised.value.errors == {"items": {"unknown": [missing]}}
    assert counters(products_db, widget) == (10, 0, 0)
    assert count_rows(products_db, "reservations") == 0


def test_items_in_two_currencies_are_invalid(products_container, products_db):
    dollars = create(products_container, "USD-1", currency="USD")
    euros = create(products_container, "EUR-1", currency="EUR")
    with pytest.raises(Invalid) as raised:
        reserve(products_container, new_order_id(), (dollars, 1), (euros, 1))
    assert "currency" in raised.value.errors["items"]
    assert counters(products_db, dollars) == (10, 0, 0)
    assert counters(products_db, euros) == (10, 0, 0)


@pytest.mark.parametrize(
    "items, ttl",
    [
        ([], TTL),
        ([{"product_id": "p", "quantity": 0}], TTL),
        ([{"product_id": "p", "quantity": 1001}], TTL),
        ([{"product_id": "p", "quantity": "1"}], TTL),
        ([{"product_id": "p", "quantity": 1.0}], TTL),
        ([{"product_id": "p", "quantity": True}], TTL),
        ([{"product_id": "p"}], TTL),
        ([{"product_id": "p", "quantity": 1, "price": "0.01"}], TTL),
        ([{"product_id": "p", "quantity": 600}, {"product_id": "p", "quantity": 401}], TTL),
        ([{"product_id": f"p{i}", "quantity": 1} for i in range(51)], TTL),
        ([{"product_id": "p", "quantity": 1}], 0),
        ([{"product_id": "p", "quantity": 1}], 86_401),
        ([{"product_id": "p", "quantity": 1}], "60"),
        ("p", TTL),
    ],
)
def test_reserve_rejects_invalid_requests(products_container, items, ttl):
    with pytest.raises(Invalid):
        call(products_container, "reserve_stock", new_order_id(), items, ttl, as_=ORDERS_CLIENT)


def test_reserve_refreshes_the_product_cache(products_container, redis_client):
    widget = create(products_container, "WID-1", stock=10)
    assert call(products_container, "get_product", widget["id"])["stock"] == 10  # cached now
    order_id = new_order_id()
    reserve(products_container, order_id, (widget, 4))
    assert call(products_container, "get_product", widget["id"])["stock"] == 6
    call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)
    assert call(products_container, "get_product", widget["id"])["stock"] == 10
    assert redis_client.exists(f"oms:products:product:{widget['id']}")


def test_admin_stock_changes_leave_reserved_and_sold_alone(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    reserve(products_container, new_order_id(), (widget, 4))
    call(products_container, "adjust_stock", widget["id"], {"delta": -6}, as_=ADMIN)
    assert counters(products_db, widget) == (0, 4, 0)
    with pytest.raises(Invalid):
        call(products_container, "adjust_stock", widget["id"], {"delta": -1}, as_=ADMIN)
    call(products_container, "set_stock", widget["id"], {"stock": 7}, as_=ADMIN)
    assert counters(products_db, widget) == (7, 4, 0)
    product = call(products_container, "get_product", widget["id"])
    assert product["stock"] == 7 and "reserved" not in product and "sold" not in product


# --- concurrency ----------------------------------------------------------------------------------


def test_twenty_concurrent_orders_for_the_last_five_units(products_container, products_db, config):
    widget = create(products_container, "LAST-5", stock=5)

    def attempt(_):
        with proxy(config, ORDERS_CLIENT.token, timeout=30) as rpc:
            try:
                rpc.products.reserve_stock(new_order_id(), [{"product_id": widget["id"], "quantity": 1}], TTL)
            except Conflict:
                return False
            return True

    outcomes = list(eventlet.GreenPool(20).imap(attempt, range(20)))

    assert outcomes.count(True) == 5 and outcomes.count(False) == 15
    assert counters(products_db, widget) == (0, 5, 0)
    assert count_rows(products_db, "reservations") == 5
    assert call(products_container, "get_product", widget["id"])["stock"] == 0


def test_overlapping_reservations_in_any_item_order_do_not_deadlock(products_container, products_db, config):
    a = create(products_container, "A-1", stock=100)
    b = create(products_container, "B-1", stock=100)
    c = create(products_container, "C-1", stock=100)
    orders = [[a, b, c], [c, b, a], [b, a, c], [c, a, b]] * 4

    def attempt(products):
        with proxy(config, ORDERS_CLIENT.token, timeout=30) as rpc:
            items = [{"product_id": p["id"], "quantity": 2} for p in products]
            return rpc.products.reserve_stock(new_order_id(), items, TTL)

    results = list(eventlet.GreenPool(16).imap(attempt, orders))

    assert len(results) == 16
    for product in (a, b, c):
        assert counters(products_db, product) == (68, 32, 0)


# --- commit and release ---------------------------------------------------------------------------


def test_commit_moves_units_from_reserved_to_sold_once(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    order_id = new_order_id()
    reserved = reserve(products_container, order_id, (widget, 3))

    committed = call(products_container, "commit_reservation", order_id, as_=ADMIN)
    assert committed == {**reserved, "status": "committed"}
    assert counters(products_db, widget) == (7, 0, 3)

    assert call(products_container, "commit_reservation", order_id, as_=ADMIN) == committed
    assert counters(products_db, widget) == (7, 0, 3)
    assert call(products_container, "get_reservation", order_id, as_=ORDERS_CLIENT)["status"] == "committed"


def confirmed(order_id: str) -> dict:
    return event(ORDER_CONFIRMED, order_id=order_id, user_id="user-1", total="59.97", currency="USD")


def test_order_confirmed_commits_the_reservation_once(config, products_container, products_db, redis_client):
    widget, order_id = three_widgets_reserved(products_container)
    key = ProductCache.key(widget["id"])
    version = int(redis_client.get(key).split("|", 1)[0])
    payload = confirmed(order_id)

    deliver(config, products_container, "handle_order_confirmed", payload)
    assert call(products_container, "get_reservation", order_id, as_=ORDERS_CLIENT)["status"] == "committed"
    assert counters(products_db, widget) == (7, 0, 3)
    # The cache got the product's new version after the commit.
    assert int(redis_client.get(key).split("|", 1)[0]) == version + 1

    deliver(config, products_container, "handle_order_confirmed", payload)  # delivered twice
    deliver(config, products_container, "handle_order_confirmed", confirmed(order_id))  # confirmed twice
    assert counters(products_db, widget) == (7, 0, 3)


def test_order_confirmed_for_a_released_reservation_changes_nothing(config, products_container, products_db):
    widget, order_id = three_widgets_reserved(products_container)
    call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)  # cancelled right after it was paid

    deliver(config, products_container, "handle_order_confirmed", confirmed(order_id))
    assert call(products_container, "get_reservation", order_id, as_=ORDERS_CLIENT)["status"] == "released"
    assert counters(products_db, widget) == (10, 0, 0)
    assert call(products_container, "list_dead_letters", as_=ADMIN)["items"] == []


def test_order_cancelled_gives_the_stock_back_once_and_is_no_error_without_a_reservation(
    config, products_container, products_db
):
    widget, order_id = three_widgets_reserved(products_container)
    payload = event(ORDER_CANCELLED, order_id=order_id, user_id="user-1", total="59.97", currency="USD",
                    reason="payment failed")

    deliver(config, products_container, "handle_order_cancelled", payload)  # orders' release never came
    assert call(products_container, "get_reservation", order_id, as_=ORDERS_CLIENT)["status"] == "released"
    assert counters(products_db, widget) == (10, 0, 0)

    deliver(config, products_container, "handle_order_cancelled", payload)  # delivered twice
    call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)  # orders' release, late
    assert counters(products_db, widget) == (10, 0, 0)
    unknown = new_order_id()  # an order whose reserve_stock never happened
    deliver(config, products_container, "handle_order_cancelled", {**payload, "event_id": unknown, "order_id": unknown})
    assert call(products_container, "list_dead_letters", as_=ADMIN)["items"] == []
    # Published as orders would, they are queued for every consumer of order_cancelled too.
    purge_events(config, (PaymentsService, NotificationsService, OrderQueriesService), ORDERS)


def test_order_confirmed_without_a_reservation_becomes_a_dead_letter(config, products_container):
    payload = confirmed(new_order_id())
    deliver(config, products_container, "handle_order_confirmed", payload)
    [dead] = call(products_container, "list_dead_letters", as_=ADMIN)["items"]
    assert (dead["handler"], dead["event_id"], dead["attempts"]) == ("handle_order_confirmed", payload["event_id"], 3)


def test_release_returns_held_units_once(products_container, products_db):
    widget = create(products_container, "WID-1", stock=10)
    gadget = create(products_container, "GAD-1", stock=5)
    order_id = new_order_id()
    reserve(products_container, order_id, (widget, 3), (gadget, 5))

    released = call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)
    assert released["status"] == "released"
    assert counters(products_db, widget) == (10, 0, 0)
    assert counters(products_db, gadget) == (5, 0, 0)

    assert call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT) == released
    assert counters(products_db, widget) == (10, 0, 0)
    assert counters(products_db, gadget) == (5, 0, 0)


def test_release_after_commit_returns_sold_units(products_container, products_db):
    widget, order_id = three_widgets_reserved(products_container)
    call(products_container, "commit_reservation", order_id, as_=ADMIN)

    assert call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)["status"] == "released"
    assert counters(products_db, widget) == (10, 0, 0)
    call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)
    assert counters(products_db, widget) == (10, 0, 0)


def test_commit_after_release_conflicts(products_container, products_db):
    widget, order_id = three_widgets_reserved(products_container)
    call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)

    with pytest.raises(Conflict):
        call(products_container, "commit_reservation", order_id, as_=ADMIN)
    assert counters(products_db, widget) == (10, 0, 0)
    with pytest.raises(Conflict):  # and reserving it again is refused too
        reserve(products_container, order_id, (widget, 3))
    assert counters(products_db, widget) == (10, 0, 0)


def test_unknown_orders(products_container, products_db):
    order_id = new_order_id()
    with pytest.raises(NotFound):
        call(products_container, "commit_reservation", order_id, as_=ADMIN)
    with pytest.raises(NotFound):
        call(products_container, "get_reservation", order_id, as_=ORDERS_CLIENT)
    with pytest.raises(NotFound):
        call(products_container, "get_reservation", None, as_=ORDERS_CLIENT)
    released = call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)
    assert released == {"order_id": order_id, "status": "unknown"}
    assert count_rows(products_db, "reservations") == 0


def test_every_operation_gives_a_reservation_and_the_products_it_changed(products_container, products_db):
    """The repository's one type per aggregate: reserve (new or repeated), commit (new or
    repeated) and release each give a Reservation, and Products for what changed."""
    widget = create(products_container, "TYPED-1", stock=10)
    order_id, items = new_order_id(), [{"product_id": widget["id"], "quantity": 2}]
    steps = [
        lambda session: reservations.reserve(session, order_id, items, TTL),
        lambda session: reservations.reserve(session, order_id, items, TTL),
        lambda session: reservations.commit(session, order_id),
        lambda session: reservations.commit(session, order_id),
        lambda session: reservations.release(session, order_id),
    ]
    seen = []
    with Session(products_db) as session:
        for step in steps:
            outcome = step(session)
            assert type(outcome.reservation) is Reservation
            assert all(type(product) is Product for product in outcome.products)
            seen.append((outcome.reservation.status, [item.quantity for item in outcome.reservation.items],
                         [(p.id, p.stock, p.reserved, p.sold) for p in outcome.products]))
            session.commit()
    assert seen == [
        ("held", [2], [(widget["id"], 8, 2, 0)]),
        ("held", [2], []),
        ("committed", [2], [(widget["id"], 8, 0, 2)]),
        ("committed", [2], []),
        ("released", [2], [(widget["id"], 10, 0, 0)]),
    ]
    assert counters(products_db, widget) == (10, 0, 0)


# --- expiry ---------------------------------------------------------------------------------------


@pytest.fixture
def sweeping_container(container_factory, config):
    """products with no grace period, its timer too slow to fire during a test."""
    overrides = copy.deepcopy(config)
    overrides["RESERVATION_RELEASE_GRACE_SECONDS"] = 0
    overrides["RESERVATION_SWEEP_INTERVAL_SECONDS"] = 3600
    container = container_factory(ProductsService, overrides)
    container.start()
    return container


def test_sweep_releases_expired_held_reservations(sweeping_container, orders_container, products_db):
    widget = create(sweeping_container, "WID-1", stock=10)
    assert call(sweeping_container, "get_product", widget["id"])["stock"] == 10
    expiring, lasting, paid = new_order_id(), new_order_id(), new_order_id()
    reserve(sweeping_container, expiring, (widget, 2), ttl=1)
    reserve(sweeping_container, lasting, (widget, 3), ttl=3600)
    reserve(sweeping_container, paid, (widget, 1), ttl=1)
    call(sweeping_container, "commit_reservation", paid, as_=ADMIN)
    assert counters(products_db, widget) == (4, 5, 1)
    eventlet.sleep(1.2)

    assert call(sweeping_container, "release_expired_reservations") == 1

    assert call(sweeping_container, "get_reservation", expiring, as_=ORDERS_CLIENT)["status"] == "released"
    assert call(sweeping_container, "get_reservation", lasting, as_=ORDERS_CLIENT)["status"] == "held"
    assert call(sweeping_container, "get_reservation", paid, as_=ORDERS_CLIENT)["status"] == "committed"
    assert counters(products_db, widget) == (6, 3, 1)
    assert call(sweeping_container, "get_product", widget["id"])["stock"] == 6
    with pytest.raises(Conflict):
        call(sweeping_container, "commit_reservation", expiring, as_=ADMIN)
    assert call(sweeping_container, "release_expired_reservations") == 0


def order_rows(config, **statuses: str) -> None:
    """Orders as the orders database holds them: {order_id: status}, unexpired as orders sees them."""
    engine = create_engine(database_urls(config)["orders"])
    try:
        with engine.begin() as conn:
            for order_id, status in statuses.items():
                conn.execute(
                    text(
                        "INSERT INTO orders (id, user_id, status, total, currency, shipping_address, paid,"
                        " idempotency_key, request_hash, reservation_expires_at) VALUES (:id, 'user-1', :status,"
                        " 1, 'USD', '{}', :paid, :id, 'h', now() + interval '1 hour')"
                    ),
                    {"id": order_id, "status": status, "paid": status != "pending_payment"},
                )
    finally:
        engine.dispose()


def test_sweep_keeps_the_reservations_orders_still_uses(sweeping_container, orders_container, products_db, config):
    widget = create(sweeping_container, "WID-1", stock=10)
    orphan, cancelled, pending, confirmed, delivered = (new_order_id() for _ in range(5))
    for order_id in (orphan, cancelled, pending, confirmed, delivered):
        reserve(sweeping_container, order_id, (widget, 1), ttl=1)
    # A paid order's reservation stays held until its order_confirmed reaches products.
    order_rows(config, **{cancelled: "cancelled", pending: "pending_payment", confirmed: "confirmed",
                          delivered: "delivered"})
    eventlet.sleep(1.2)

    assert call(sweeping_container, "release_expired_reservations") == 2

    statuses = {order_id: call(sweeping_container, "get_reservation", order_id, as_=ORDERS_CLIENT)["status"]
                for order_id in (orphan, cancelled, pending, confirmed, delivered)}
    assert statuses == {orphan: "released", cancelled: "released", pending: "held", confirmed: "held",
                        delivered: "held"}
    assert counters(products_db, widget) == (7, 3, 0)
    assert call(sweeping_container, "release_expired_reservations") == 0


def test_sweep_releases_nothing_while_orders_cannot_answer(sweeping_container, products_db):
    widget = create(sweeping_container, "WID-1", stock=10)
    orphan = new_order_id()
    reserve(sweeping_container, orphan, (widget, 2), ttl=1)
    eventlet.sleep(1.2)

    assert call(sweeping_container, "release_expired_reservations") == 0  # no orders service running
    assert call(sweeping_container, "get_reservation", orphan, as_=ORDERS_CLIENT)["status"] == "held"
    assert counters(products_db, widget) == (8, 2, 0)


def test_sweep_waits_for_the_grace_period(products_container, products_db, config):
    assert int(config["RESERVATION_RELEASE_GRACE_SECONDS"]) >= 10
    widget = create(products_container, "WID-1", stock=10)
    order_id = new_order_id()
    reserve(products_container, order_id, (widget, 2))
    with products_db.begin() as conn:  # expired 5 s ago: within the grace period
        conn.execute(
            text("UPDATE reservations SET expires_at = now() - interval '5 seconds' WHERE order_id = :id"),
            {"id": order_id},
        )

    assert call(products_container, "release_expired_reservations") == 0
    assert counters(products_db, widget) == (8, 2, 0)
    # Expired but not swept yet: a late payment still commits.
    assert call(products_container, "commit_reservation", order_id, as_=ADMIN)["status"] == "committed"
    assert counters(products_db, widget) == (8, 0, 2)


def test_a_batch_locks_its_reservations_and_their_products_first(products_container, products_db):
    widget, first = three_widgets_reserved(products_container)
    gadget = create(products_container, "GAD-1", stock=5)
    second = new_order_id()
    reserve(products_container, second, (gadget, 1))
    other = create(products_container, "OTH-1", stock=5)
    with Session(products_db) as batch, products_db.connect() as conn:
        reservations.lock_for_batch(batch, [second, first, "no-such-order"])
        locked = [("reservations", "order_id", first), ("reservations", "order_id", second),
                  ("products", "id", widget["id"]), ("products", "id", gadget["id"])]
        for table, key, value in locked:
            with pytest.raises(OperationalError, match="could not obtain lock"):
                conn.execute(text(f"SELECT 1 FROM {table} WHERE {key} = :v FOR UPDATE NOWAIT"), {"v": value})
            conn.rollback()
        conn.execute(text("SELECT 1 FROM products WHERE id = :v FOR UPDATE NOWAIT"), {"v": other["id"]})  # not in it
        conn.rollback()
        batch.rollback()


# --- after the sale: cancelled units, returns put back on sale -------------------------------------


def ledger(engine, product) -> tuple[int, int, int, int, int]:
    """(received, restocked, stock, reserved, sold): received + restocked = stock + reserved + sold."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT received, restocked, stock, reserved, sold FROM products WHERE id = :id"),
            {"id": product["id"]},
        ).one()
    return tuple(row)


def items_cancelled(order_id: str, *items) -> dict:
    """order_items_cancelled of (product, quantity) pairs, as orders publishes it."""
    lines = [{"product_id": product["id"], "quantity": quantity, "amount": "19.99"} for product, quantity in items]
    return event(ORDER_ITEMS_CANCELLED, order_id=order_id, user_id="user-1", total="59.97", currency="USD",
                 cancellation_id=str(uuid.uuid4()), items=lines, amount="19.99", reason="out of paint")


def cancelled(order_id: str) -> dict:
    return event(ORDER_CANCELLED, order_id=order_id, user_id="user-1", total="59.97", currency="USD",
                 reason="cancelled by its owner")


def test_cancelled_units_of_a_committed_order_go_back_from_sold_once(config, products_container, products_db):
    widget, order_id = three_widgets_reserved(products_container)
    gadget = create(products_container, "GAD-1", stock=5)
    other_order = new_order_id()
    reserve(products_container, other_order, (gadget, 2))
    call(products_container, "commit_reservation", order_id, as_=ADMIN)
    payload = items_cancelled(order_id, (widget, 1))

    deliver(config, products_container, "handle_order_items_cancelled", payload)
    assert counters(products_db, widget) == (8, 0, 2)
    deliver(config, products_container, "handle_order_items_cancelled", payload)  # delivered twice
    assert counters(products_db, widget) == (8, 0, 2)
    assert ledger(products_db, widget) == (10, 0, 8, 0, 2)
    assert call(products_container, "get_reservation", order_id, as_=ORDERS_CLIENT)["status"] == "committed"
    assert counters(products_db, gadget) == (3, 2, 0)  # another order's units stay where they are

    # The whole order cancelled later gives back only the two units it still held.
    deliver(config, products_container, "handle_order_cancelled", cancelled(order_id))
    assert counters(products_db, widget) == (10, 0, 0)
    purge_events(config, (PaymentsService, NotificationsService, OrderQueriesService), ORDERS)


def test_units_cancelled_before_the_commit_are_not_sold(config, products_container, products_db):
    """order_items_cancelled may be handled before order_confirmed (two queues): the cancelled
    units leave the held reservation, and the commit sells only the rest."""
    widget, order_id = three_widgets_reserved(products_container)

    deliver(config, products_container, "handle_order_items_cancelled", items_cancelled(order_id, (widget, 2)))
    assert counters(products_db, widget) == (9, 1, 0)
    deliver(config, products_container, "handle_order_confirmed", confirmed(order_id))
    assert counters(products_db, widget) == (9, 0, 1)
    call(products_container, "release_reservation", order_id, as_=ORDERS_CLIENT)
    assert counters(products_db, widget) == (10, 0, 0)
    purge_events(config, (PaymentsService, NotificationsService, OrderQueriesService), ORDERS)


def test_units_cancelled_after_the_whole_order_was_released_change_nothing(config, products_container, products_db):
    widget, order_id = three_widgets_reserved(products_container)
    deliver(config, products_container, "handle_order_cancelled", cancelled(order_id))
    assert counters(products_db, widget) == (10, 0, 0)

    deliver(config, products_container, "handle_order_items_cancelled", items_cancelled(order_id, (widget, 1)))
    assert counters(products_db, widget) == (10, 0, 0)
    # Never more than the line holds, and no error without a reservation either.
    second = new_order_id()
    reserve(products_container, second, (widget, 2))
    deliver(config, products_container, "handle_order_items_cancelled", items_cancelled(second, (widget, 5)))
    assert counters(products_db, widget) == (10, 0, 0)
    deliver(config, products_container, "handle_order_items_cancelled", items_cancelled(new_order_id(), (widget, 1)))
    assert counters(products_db, widget) == (10, 0, 0)
    assert call(products_container, "list_dead_letters", as_=ADMIN)["items"] == []
    purge_events(config, (PaymentsService, NotificationsService, OrderQueriesService), ORDERS)


def received_back(order_id: str, *items) -> dict:
    """return_received of (product, quantity, restock) triples, as orders publishes it."""
    lines = [{"product_id": product["id"], "quantity": quantity, "restock": restock, "amount": "19.99"}
             for product, quantity, restock in items]
    return event(RETURN_RECEIVED, order_id=order_id, user_id="user-1", total="59.97", currency="USD",
                 return_id=str(uuid.uuid4()), items=lines, refund_amount="39.98")


def test_returned_units_with_restock_go_back_on_sale_once(config, products_container, products_db, redis_client):
    widget, order_id = three_widgets_reserved(products_container)
    gadget = create(products_container, "GAD-1", stock=5)
    call(products_container, "commit_reservation", order_id, as_=ADMIN)
    payload = received_back(order_id, (widget, 2, True), (gadget, 1, False))

    deliver(config, products_container, "handle_return_received", payload)
    deliver(config, products_container, "handle_return_received", payload)  # delivered twice

    # The returned units are on sale again; sold keeps the sale they came from; the damaged
    # gadget stays out.
    assert ledger(products_db, widget) == (10, 2, 9, 0, 3)
    assert ledger(products_db, gadget) == (5, 0, 5, 0, 0)
    assert call(products_container, "get_product", widget["id"])["stock"] == 9  # the cache has it
    purge_events(config, (PaymentsService, NotificationsService, OrderQueriesService), ORDERS)
