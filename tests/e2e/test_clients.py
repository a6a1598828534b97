"""The Python client example (clients/examples/place_order.py) runs against the system as a
customer would run it, with the generated package (clients/python): it places an order, sees
it confirmed, reads its payment (authorized) and lists it."""

import importlib.util
import uuid

import pytest

from scripts.clients import CLIENTS
from tests.e2e.conftest import PASSWORD


@pytest.fixture
def example(monkeypatch):
    monkeypatch.syspath_prepend(str(CLIENTS / "python"))  # the generated package, oms_client
    spec = importlib.util.spec_from_file_location("place_order", CLIENTS / "examples/place_order.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_python_example_places_an_order_and_reads_its_payment(system, example):
    placed = example.place_order(system.url, f"example-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)

    assert (placed.order.status, placed.order.paid) == ("confirmed", True)
    assert (placed.payment.status, placed.payment.amount) == ("authorized", placed.order.total)
    assert [order.id for order in placed.my_orders.items] == [placed.order.id]
