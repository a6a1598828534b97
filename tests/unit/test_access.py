"""Access policies and verified actors (wire/access.py), without I/O."""

import pytest

from wire.access import (
    ADMIN,
    ADMIN_ONLY,
    CATALOG_WRITE,
    CLIENT,
    CUSTOMER,
    ORDERS_READ,
    PUBLIC,
    SIGNED_IN,
    STOCK_RESERVE,
    USER,
    Actor,
    allow,
)
from wire.errors import Forbidden

customer = Actor("u-1", USER, role=CUSTOMER)
admin = Actor("u-2", USER, role=ADMIN)
reader = Actor("cl-1", CLIENT, scopes=frozenset({"orders:read"}))
orders_service = Actor("svc-orders", CLIENT, scopes=frozenset({"stock:reserve", "stock:release"}))


@pytest.mark.parametrize(
    ("access", "allowed", "refused"),
    [
        (PUBLIC, [None, customer, admin, reader], []),
        (SIGNED_IN, [customer, admin], [None, reader, orders_service]),
        (ADMIN_ONLY, [admin], [None, customer, reader, orders_service]),
        (CATALOG_WRITE, [admin], [customer, reader, orders_service]),
        (ORDERS_READ, [customer, admin, reader], [None, orders_service]),
        (STOCK_RESERVE, [orders_service], [None, customer, admin, reader]),
    ],
)
def test_who_each_policy_lets_in(access, allowed, refused):
    assert all(access.allows(actor) for actor in allowed)
    assert not any(access.allows(actor) for actor in refused)


def test_check_raises_forbidden_naming_what_is_needed():
    with pytest.raises(Forbidden, match="the admin role or the scope catalog:write"):
        CATALOG_WRITE.check(customer)


def test_whose_data_an_actor_may_touch():
    assert customer.acts_for("u-1") and not customer.acts_for("u-3")
    assert admin.acts_for("u-3") and admin.sees_all()
    assert reader.acts_for("u-3", "orders:read") and not reader.acts_for("u-3", "orders:fulfil")
    assert not reader.acts_for("cl-1")  # a client is nobody's customer, itself included


def test_a_policy_may_only_name_known_scopes():
    with pytest.raises(ValueError, match="unknown scopes"):
        allow(scopes=("orders:everything",))
