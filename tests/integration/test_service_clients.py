"""Services call services with their own client tokens (plumbing/rpc.py), fetched from users,
renewed when refused, and never the token of the request they serve."""

import time
import uuid

import pytest

from plumbing.tokens import client_cutoff_key
from scripts.provision import register_service_clients
from tests import stores
from tests.integration.conftest import call
from tests.tokens import ADMIN, ORDERS_CLIENT, User
from wire.errors import Forbidden, Unavailable

CUSTOMER = User("user-9")
ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Paris", "postal_code": "75001", "country": "FR"}


@pytest.fixture
def product(products_container) -> dict:
    return call(products_container, "create_product", {"sku": f"S-{uuid.uuid4().hex[:8]}", "name": "Lamp",
                                                       "price": "5.00", "currency": "EUR", "stock": 10}, as_=ADMIN)


def order(orders_container, product) -> dict:
    body = {"items": [{"product_id": product["id"], "quantity": 1}], "shipping_address": ADDRESS,
            "payment_token": "tok_visa"}
    return call(orders_container, "create_order", body, uuid.uuid4().hex, as_=CUSTOMER)


def test_orders_reserves_stock_as_itself_which_the_customer_could_not(orders_container, products_container, product):
    with pytest.raises(Forbidden):
        call(products_container, "reserve_stock", str(uuid.uuid4()), [{"product_id": product["id"], "quantity": 1}],
             60, as_=CUSTOMER)
    placed = order(orders_container, product)
    reservation = call(products_container, "get_reservation", placed["id"], as_=ORDERS_CLIENT)
    assert reservation["status"] in ("held", "committed")


def test_a_service_whose_tokens_were_voided_fetches_a_new_one(
    orders_container, products_container, product, redis_client
):
    order(orders_container, product)  # orders now holds a token
    redis_client.set(client_cutoff_key(ORDERS_CLIENT.id), repr(time.time()))  # every token of svc-orders void
    time.sleep(0.01)  # the new token is issued after the cutoff
    assert order(orders_container, product)["status"] == "pending_payment"


def test_a_revoked_service_client_is_a_503_until_provisioning_restores_it(
    orders_container, products_container, users_container, product, config, redis_client
):
    order(orders_container, product)  # orders now holds a token
    stores.revoke_behind_the_apis_back(config, redis_client, ORDERS_CLIENT.id)
    with pytest.raises(Unavailable, match="cannot authenticate|refuses"):
        order(orders_container, product)
    with pytest.raises(Unavailable, match="orders cannot authenticate to its peers"):
        call(orders_container, "ping")
    register_service_clients(config)  # what `make run` does at every start
    restored = call(users_container, "get_client", ORDERS_CLIENT.id, as_=ADMIN)
    assert restored["revoked_at"] is None and restored["managed"] and restored["scopes"] == sorted(ORDERS_CLIENT.scopes)
    assert call(orders_container, "ping") == "pong"
    assert order(orders_container, product)["status"] == "pending_payment"
