"""A customer's order from start to end with the generated Python client (clients/python, the
`oms_client` package): register and sign in, place an order with an Idempotency-Key, wait for
its payment to confirm it, read that payment (the card authorized: the money is taken, and
invoiced, as the order ships) and list the customer's orders.
Type-checked with `mypy --strict` (tests/clients/) and run against the system by
tests/e2e/test_clients.py.

    pip install ./clients/python          # or PYTHONPATH=clients/python
    python clients/examples/place_order.py http://127.0.0.1:8000 you@example.com 'a long password'"""

import sys
import time
import uuid
from dataclasses import dataclass
from typing import TypeVar

from oms_client import AuthenticatedClient, Client
from oms_client.api.auth import login, register_user
from oms_client.api.orders import create_order, get_order, get_order_payment, list_orders
from oms_client.api.products import list_products
from oms_client.models import (
    Address,
    CreateOrder,
    Login,
    Order,
    OrderLineRequest,
    OrderPage,
    Payment,
    Problem,
    Register,
)

Answer = TypeVar("Answer")


class ApiProblem(Exception):
    """The API refused (a problem+json answer)."""

    def __init__(self, problem: Problem):
        super().__init__(f"{problem.status} {problem.title}: {problem.detail}")
        self.problem = problem


@dataclass(frozen=True)
class PlacedOrder:
    order: Order  # as confirmed
    payment: Payment  # authorized
    my_orders: OrderPage  # the first page of the customer's orders, newest first


def expect(answer: Answer | Problem | None) -> Answer:
    """The answer the call documents for success, or ApiProblem. (None, an undocumented status,
    does not happen: the clients here raise UnexpectedStatus for it.)"""
    if isinstance(answer, Problem):
        raise ApiProblem(answer)
    if answer is None:
        raise RuntimeError("no answer")
    return answer


def sign_in(base_url: str, email: str, password: str, name: str) -> AuthenticatedClient:
    """Register (or find the account there already) and sign in."""
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    account = Register(email=email, password=password, name=name)
    registered = register_user.sync(client=anonymous, body=account)
    if isinstance(registered, Problem) and registered.status != 409:  # 409: the email has an account
        raise ApiProblem(registered)
    tokens = expect(login.sync(client=anonymous, body=Login(email=email, password=password)))
    return AuthenticatedClient(base_url=base_url, token=tokens.access_token, raise_on_unexpected_status=True)


def wait_until_confirmed(client: AuthenticatedClient, order_id: str, timeout: float) -> Order:
    """The order once its payment has confirmed it (the saga takes it from pending_payment)."""
    deadline = time.monotonic() + timeout
    while True:
        order = expect(get_order.sync(order_id, client=client))
        if order.status == "confirmed":
            return order
        if order.status != "pending_payment" or time.monotonic() > deadline:
            raise RuntimeError(f"order {order_id} is {order.status}, not confirmed")
        time.sleep(0.2)


def place_order(base_url: str, email: str, password: str, timeout: float = 30) -> PlacedOrder:
    client = sign_in(base_url, email, password, name="Ada Lovelace")
    products = expect(list_products.sync(client=client, in_stock=True, page_size=1))
    if not products.items:
        raise RuntimeError("nothing in stock")
    body = CreateOrder(
        items=[OrderLineRequest(product_id=products.items[0].id, quantity=1)],
        shipping_address=Address(name="Ada Lovelace", line1="12 St James's Square", city="London",
                                 postal_code="SW1Y 4JH", country="GB"),
        payment_token="tok_visa",
    )
    # One key per order the customer means to place: sent again with the same key (after a
    # timeout, say), the request answers with the same order instead of placing a second one.
    placed = expect(create_order.sync(client=client, body=body, idempotency_key=str(uuid.uuid4())))
    confirmed = wait_until_confirmed(client, placed.id, timeout)
    payment = expect(get_order_payment.sync(placed.id, client=client))
    my_orders = expect(list_orders.sync(client=client))
    return PlacedOrder(order=confirmed, payment=payment, my_orders=my_orders)


if __name__ == "__main__":
    base_url, email, password = sys.argv[1:4]
    result = place_order(base_url, email, password)
    print(f"order {result.order.id}: {result.order.status}, {result.order.total} {result.order.currency}")
    print(f"payment: {result.payment.status}, {result.payment.amount}; {result.my_orders.total} orders in all")
