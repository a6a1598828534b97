"""The orders service with a real products service, on the real broker and databases."""

import uuid

import pytest
from sqlalchemy import create_engine, text

from contracts.events import ORDER_ADDRESS_CHANGED, ORDER_CANCELLED, ORDER_CONFIRMED, ORDERS, PAYMENT_AUTHORIZED
from contracts.orders import IllegalMove
from notifications.service import NotificationsService
from payments.service import PaymentsService
from plumbing.migrations import database_urls
from products.service import ProductsService
from tests.integration.eventing import EventTap, call, deliver, event, purge_events, wait_until
from tests.tokens import ADMIN, ORDERS_CLIENT, PRODUCTS_CLIENT, User
from wire.errors import Conflict, Invalid, NotFound

CUSTOMER = User("user-7")
ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Paris", "postal_code": "75001", "country": "FR"}


@pytest.fixture(autouse=True)
def leave_no_events_behind(config):
    """The events orders publishes here wait in the durable queues of the other services'
    handlers: purged, so that later tests' containers don't consume them."""
    yield
    purge_events(config, (PaymentsService, NotificationsService, ProductsService), ORDERS)


def place(orders_container, products_container, stock=5):
    product = call(products_container, "create_product",
                   {"sku": f"LAMP-{uuid.uuid4().hex[:8]}", "name": "Lamp", "price": "20.00", "currency": "EUR",
                    "stock": stock}, as_=ADMIN)
    body = {"items": [{"product_id": product["id"], "quantity": 2}], "shipping_address": ADDRESS,
            "payment_token": "tok_visa"}
    return product, call(orders_container, "create_order", body, uuid.uuid4().hex, as_=CUSTOMER)


def paid(order: dict) -> dict:
    """payment_authorized for the order's total, with the ledger it leaves."""
    return event(PAYMENT_AUTHORIZED, order_id=order["id"], user_id=CUSTOMER.id, payment_id="pay-1",
                 amount=order["total"], currency=order["currency"], status="authorized", authorized=order["total"],
                 captured="0.00", refunded="0.00", voided="0.00", ledger_version=1)


def test_a_payment_confirms_the_order_and_products_sells_its_stock(config, orders_container, products_container):
    product, order = place(orders_container, products_container)
    tap = EventTap(config, "orders")
    try:
        deliver(config, orders_container, "handle_payment_authorized", paid(order))
        assert call(orders_container, "get_order", order["id"], as_=CUSTOMER)["status"] == "confirmed"
        history = call(orders_container, "get_order_history", order["id"], as_=CUSTOMER)["items"]
        assert [(h["from_status"], h["to_status"]) for h in history] == [
            (None, "pending_payment"), ("pending_payment", "confirmed")]
        # By type: the order's own order_created may reach the tap too (it is relayed after the 201).
        [confirmed] = tap.wait_for(1, ORDER_CONFIRMED)
        assert confirmed["order_id"] == order["id"]
        # The order as confirmed: its lines, address and placement time. No invoice: invoices
        # follow the captures, one per shipment.
        assert confirmed["invoice_number"] is None
        assert confirmed["items"] == [{key: item[key] for key in ("sku", "name", "quantity", "unit_price",
                                                                  "line_total")} for item in order["items"]]
        assert confirmed["shipping_address"] == {**ADDRESS, "line2": None}
        assert confirmed["placed_at"] == order["created_at"]
    finally:
        tap.close()
    # products commits the reservation when order_confirmed reaches it.
    wait_until(
        lambda: call(products_container, "get_reservation", order["id"], as_=ORDERS_CLIENT)["status"] == "committed"
    )
    assert call(products_container, "get_product", product["id"])["stock"] == 3


def placed_then_products_down(config, container_factory, orders_container):
    """An order placed with products up, which is then stopped: (product, order, restart), where
    `restart()` starts products again and returns it."""
    products = container_factory(ProductsService, config)
    products.start()
    product, order = place(orders_container, products)
    products.stop()

    def restart():
        again = container_factory(ProductsService, config)  # it finds the events waiting
        again.start()
        return again

    return product, order, restart


def reservation_reaches(products, order: dict, status: str) -> None:
    wait_until(lambda: call(products, "get_reservation", order["id"], as_=ORDERS_CLIENT)["status"] == status)


def test_a_payment_confirms_the_order_while_products_is_down(config, container_factory, orders_container):
    product, order, restart = placed_then_products_down(config, container_factory, orders_container)

    deliver(config, orders_container, "handle_payment_authorized", paid(order))
    assert call(orders_container, "get_order", order["id"], as_=CUSTOMER)["status"] == "confirmed"

    products = restart()  # order_confirmed commits the reservation
    reservation_reaches(products, order, "committed")
    assert call(products, "get_product", product["id"])["stock"] == 3


def test_a_cancel_commits_while_products_is_down_and_products_gives_the_stock_back_later(
    config, container_factory, orders_container
):
    product, order, restart = placed_then_products_down(config, container_factory, orders_container)

    # Released only after the commit: a release that fails (or whose reply is lost) can't undo
    # the cancel, so a payment arriving next can't confirm an order without its stock.
    assert call(orders_container, "cancel_order", order["id"], as_=CUSTOMER)["status"] == "cancelled"
    deliver(config, orders_container, "handle_payment_authorized", paid(order))
    assert call(orders_container, "get_order", order["id"], as_=CUSTOMER)["status"] == "cancelled"

    products = restart()  # order_cancelled releases the reservation
    reservation_reaches(products, order, "released")
    assert call(products, "get_product", product["id"])["stock"] == 5


def update_order(orders_container, order: dict, assignments: str) -> None:
    """Set columns of the order's row directly: a state the test can't reach through the API."""
    engine = create_engine(database_urls(orders_container.config)["orders"])
    try:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE orders SET {assignments} WHERE id = :id"), {"id": order["id"]})
    finally:
        engine.dispose()


def expire_reservation(orders_container, order: dict) -> None:
    update_order(orders_container, order, "reservation_expires_at = now() - interval '1 second'")


def test_a_payment_after_the_reservation_was_released_cancels_the_order(config, orders_container, products_container):
    product, order = place(orders_container, products_container)
    # A cancel whose release reached products but whose reply was lost: released there, rolled
    # back here, and the payment comes after the reservation ran out.
    call(products_container, "release_reservation", order["id"], as_=ADMIN)
    expire_reservation(orders_container, order)
    tap = EventTap(config, "orders")
    try:
        deliver(config, orders_container, "handle_payment_authorized", paid(order))
        [cancelled] = tap.wait_for(1, ORDER_CANCELLED)  # payments voids the authorization on it
    finally:
        tap.close()
    assert cancelled["order_id"] == order["id"]
    assert call(orders_container, "get_order", order["id"], as_=CUSTOMER)["status"] == "cancelled"
    assert call(products_container, "get_product", product["id"])["stock"] == 5


def test_a_late_payment_confirms_the_order_while_products_still_holds_its_stock(config, orders_container,
                                                                                 products_container):
    _, order = place(orders_container, products_container)
    expire_reservation(orders_container, order)  # products' sweep keeps it: the order is pending
    deliver(config, orders_container, "handle_payment_authorized", paid(order))
    assert call(orders_container, "get_order", order["id"], as_=CUSTOMER)["status"] == "confirmed"


def test_reservations_in_use_are_those_of_orders_not_cancelled(orders_container, products_container):
    _, kept = place(orders_container, products_container)
    _, cancelled = place(orders_container, products_container)
    call(orders_container, "cancel_order", cancelled["id"], as_=CUSTOMER)

    asked = [kept["id"], cancelled["id"], "never-placed"]
    in_use = call(orders_container, "reservations_in_use", asked, as_=PRODUCTS_CLIENT)
    assert in_use == [kept["id"]]
    assert call(orders_container, "reservations_in_use", [], as_=PRODUCTS_CLIENT) == []
    with pytest.raises(Invalid):
        call(orders_container, "reservations_in_use", "not-a-list", as_=PRODUCTS_CLIENT)


def test_a_delivered_order_is_deleted_only_once_products_committed_its_stock(orders_container, products_container):
    _, order = place(orders_container, products_container)
    # Paid, shipped and delivered while its order_confirmed has not reached products yet.
    update_order(orders_container, order, "status = 'delivered', paid = true")

    with pytest.raises(Conflict):
        call(orders_container, "delete_order", order["id"], as_=ADMIN)
    call(products_container, "commit_reservation", order["id"], as_=ADMIN)
    call(orders_container, "delete_order", order["id"], as_=ADMIN)
    with pytest.raises(NotFound):
        call(orders_container, "get_order", order["id"], as_=ADMIN)


# --- amounts beyond the money columns, and failures after the reservation (issue 22) -------------


def units(products_container, product_id: str) -> tuple:
    """(stock, reserved, sold, received) of a product, as its row holds them."""
    engine = create_engine(database_urls(products_container.config)["products"])
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text("SELECT stock, reserved, sold, received FROM products WHERE id = :id"),
                                      {"id": product_id}).one())
    finally:
        engine.dispose()


def new_product(products_container, price: str, stock: int = 5) -> dict:
    return call(products_container, "create_product",
                {"sku": f"GEM-{uuid.uuid4().hex[:8]}", "name": "Gem", "price": price, "currency": "EUR",
                 "stock": stock}, as_=ADMIN)


def test_an_order_over_the_money_limit_is_invalid_and_leaves_the_stock_alone(orders_container, products_container):
    # The attack of issue 22: five of one product and two of one priced at the column's maximum.
    lamp, gem = new_product(products_container, "20.00"), new_product(products_container, "9999999999.99")
    body = {"items": [{"product_id": lamp["id"], "quantity": 5}, {"product_id": gem["id"], "quantity": 2}],
            "shipping_address": ADDRESS, "payment_token": "tok_visa"}

    with pytest.raises(Invalid) as refused:
        call(orders_container, "create_order", body, uuid.uuid4().hex, as_=CUSTOMER)
    assert refused.value.errors == {"total": ["At most 9999999999.99; these items come to 20000000099.98."],
                                    "items": {"line_total": [gem["id"]]}}
    assert units(products_container, lamp["id"]) == (5, 0, 0, 5)
    assert units(products_container, gem["id"]) == (5, 0, 0, 5)
    # An order of exactly the limit is placed.
    body["items"] = [{"product_id": gem["id"], "quantity": 1}]
    assert call(orders_container, "create_order", body, uuid.uuid4().hex, as_=CUSTOMER)["total"] == "9999999999.99"
    assert units(products_container, gem["id"]) == (4, 1, 0, 5)


@pytest.fixture
def orders_refusing(orders_container):
    """A trigger that makes PostgreSQL refuse an order shipped to `name`: a failure after the stock
    was reserved, from the real database."""
    engine = create_engine(database_urls(orders_container.config)["orders"])
    name = f"refused-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text(f"""
            CREATE FUNCTION refuse_{name[8:]}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.shipping_address->>'name' = '{name}' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_{name[8:]} BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_{name[8:]}();
        """))
    yield name
    with engine.begin() as conn:
        conn.execute(text(f"DROP TRIGGER refuse_{name[8:]} ON orders; DROP FUNCTION refuse_{name[8:]}();"))
    engine.dispose()


def test_a_failure_after_the_reservation_releases_it_in_the_same_request(orders_container, products_container,
                                                                         orders_refusing):
    lamp = new_product(products_container, "20.00")
    body = {"items": [{"product_id": lamp["id"], "quantity": 2}],
            "shipping_address": {**ADDRESS, "name": orders_refusing}, "payment_token": "tok_visa"}

    with pytest.raises(Exception, match="refused by the test"):
        call(orders_container, "create_order", body, uuid.uuid4().hex, as_=CUSTOMER)
    assert units(products_container, lamp["id"]) == (5, 0, 0, 5)


def test_an_address_change_is_announced_under_the_orders_next_sequence_until_a_parcel_leaves(
    config, orders_container, products_container
):
    _, order = place(orders_container, products_container)
    moved = {**ADDRESS, "city": "Lyon"}
    tap = EventTap(config, "orders")
    try:
        answer = call(orders_container, "update_order", order["id"], {"shipping_address": moved}, as_=CUSTOMER)
        [changed] = tap.wait_for(1, ORDER_ADDRESS_CHANGED, order_id=order["id"])
    finally:
        tap.close()
    assert answer["shipping_address"]["city"] == "Lyon"
    assert (changed["sequence"], changed["status"], changed["shipping_address"]["city"]) == (2, "pending_payment",
                                                                                           "Lyon")
    update_order(orders_container, order, "status = 'partially_shipped'")
    with pytest.raises(IllegalMove):
        call(orders_container, "update_order", order["id"], {"shipping_address": ADDRESS}, as_=CUSTOMER)
    assert call(orders_container, "get_order", order["id"], as_=CUSTOMER)["shipping_address"]["city"] == "Lyon"
