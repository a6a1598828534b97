"""Every operation declared in contracts, in one place: what the generated clients, the route
table and the consistency test (tests/unit/test_operations.py) read."""

from types import ModuleType

from contracts import (
    mesh_operations,
    notifications_operations,
    order_queries_operations,
    orders_operations,
    payments_operations,
    products_operations,
    users_operations,
)
from contracts.operation import API_PREFIX, EVERY_SERVICE, Operation

MODULES: tuple[ModuleType, ...] = (
    users_operations,
    products_operations,
    orders_operations,
    payments_operations,
    notifications_operations,
    order_queries_operations,
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


def openapi_path(operation: Operation) -> str:
    """The route's path as OpenAPI writes it: /api/v1/orders/{order_id}."""
    return API_PREFIX + operation.http.path.replace("<", "{").replace(">", "}")


def who_may_call(operation: Operation) -> str:
    access = operation.access
    return "anyone" if access.public else access.describe()


def route_table() -> str:
    """The HTTP routes as a Markdown table, from the declarations (`python -m scripts.route_table`)."""
    rows = ["| Method | Path | operationId | Who may call | Summary |", "|---|---|---|---|---|"]
    for operation in routed():
        cells = (operation.http.method, f"`{openapi_path(operation)}`", f"`{operation.id}`", who_may_call(operation),
                 operation.summary.replace("|", "\\|"))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
