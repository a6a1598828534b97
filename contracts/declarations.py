"""Every operation declared in contracts, in one place: what the generated clients and the
consistency test (tests/unit/test_operations.py) read."""

from types import ModuleType

from contracts import (
    mesh_operations,
    notifications_operations,
    order_queries_operations,
    orders_operations,
    payments_operations,
    products_operations,
    users_operations,
    webhooks_operations,
)
from contracts.operation import EVERY_SERVICE, Operation

MODULES: tuple[ModuleType, ...] = (
    users_operations,
    products_operations,
    orders_operations,
    payments_operations,
    notifications_operations,
    order_queries_operations,
    webhooks_operations,
    mesh_operations,
)
# Every declaration, in the order its module lists it.
OPERATIONS: tuple[Operation, ...] = tuple(
    value for module in MODULES for value in vars(module).values() if isinstance(value, Operation)
)
# The operations of mixins (plumbing), served by every service that has the mixin.
MIXIN_OPERATIONS: tuple[Operation, ...] = tuple(op for op in OPERATIONS if op.service == EVERY_SERVICE)


def operations_of(service: str) -> tuple[Operation, ...]:
    """The operations declared for `service` alone (not the mixins' ones)."""
    return tuple(op for op in OPERATIONS if op.service == service)


def routed() -> tuple[Operation, ...]:
    """The operations with an HTTP route."""
    return tuple(op for op in OPERATIONS if op.http is not None)
