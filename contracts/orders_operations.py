"""The orders service's operations (contracts.operation)."""

from contracts.operation import Http, Operation, page_of
from contracts.orders import (
    CreateOrderSchema,
    HistoryEntrySchema,
    IdempotencyKeySchema,
    OrderQuerySchema,
    OrderSchema,
    ReasonSchema,
    UpdateOrderSchema,
)
from wire.access import (
    ADMIN_ONLY,
    ORDER_RESERVATIONS,
    ORDERS_CANCEL,
    ORDERS_EXPORT,
    ORDERS_FULFIL,
    ORDERS_READ,
    SIGNED_IN,
)
from wire.errors import Conflict, Invalid, NotFound
from wire.pagination import PageQuerySchema

SERVICE = "orders"
TAG = "orders"

CREATE_ORDER = Operation(
    id="createOrder",
    service=SERVICE,
    method="create_order",
    access=SIGNED_IN,
    doc="""Place an order. Prices come from the catalog, never from the client. The same
    Idempotency-Key with the same body returns the same order; with another body, 422.
    409 names the items short of stock.""",
    headers=IdempotencyKeySchema,
    body=CreateOrderSchema,
    reply=OrderSchema,
    errors=(Conflict, Invalid),
    http=Http("POST", "/orders", TAG, status=201),
)
LIST_ORDERS = Operation(
    id="listOrders",
    service=SERVICE,
    method="list_orders",
    access=ORDERS_READ,
    doc="""Newest first: your own orders, or all of them for an admin. Filter by `status` and by
    `created_from` / `created_to` (ISO 8601 with an offset).""",
    query=OrderQuerySchema,
    reply=page_of(OrderSchema),
    errors=(Invalid,),
    http=Http("GET", "/orders", TAG),
)
GET_ORDER = Operation(
    id="getOrder",
    service=SERVICE,
    method="get_order",
    access=ORDERS_READ,
    doc="One order (404 if it isn't yours).",
    reply=OrderSchema,
    errors=(NotFound,),
    http=Http("GET", "/orders/<order_id>", TAG),
)
UPDATE_ORDER = Operation(
    id="updateOrder",
    service=SERVICE,
    method="update_order",
    access=SIGNED_IN,
    doc="Change the shipping address until the order ships.",
    body=UpdateOrderSchema,
    reply=OrderSchema,
    errors=(NotFound, Conflict, Invalid),
    http=Http("PATCH", "/orders/<order_id>", TAG),
)
DELETE_ORDER = Operation(
    id="deleteOrder",
    service=SERVICE,
    method="delete_order",
    access=ADMIN_ONLY,
    doc="Delete a finished order: delivered, refunded, or cancelled unpaid (admin).",
    errors=(NotFound, Conflict),
    http=Http("DELETE", "/orders/<order_id>", TAG, status=204),
)
CANCEL_ORDER = Operation(
    id="cancelOrder",
    service=SERVICE,
    method="cancel_order",
    access=ORDERS_CANCEL,
    doc="Cancel before shipping: the stock goes back, and a paid order is refunded.",
    body=ReasonSchema,
    body_required=False,
    reply=OrderSchema,
    errors=(NotFound, Conflict, Invalid),
    http=Http("POST", "/orders/<order_id>/cancel", TAG),
)
SHIP_ORDER = Operation(
    id="shipOrder",
    service=SERVICE,
    method="ship_order",
    access=ORDERS_FULFIL,
    doc="confirmed → shipped (admin).",
    reply=OrderSchema,
    errors=(NotFound, Conflict),
    http=Http("POST", "/orders/<order_id>/ship", TAG),
)
DELIVER_ORDER = Operation(
    id="deliverOrder",
    service=SERVICE,
    method="deliver_order",
    access=ORDERS_FULFIL,
    doc="shipped → delivered (admin).",
    reply=OrderSchema,
    errors=(NotFound, Conflict),
    http=Http("POST", "/orders/<order_id>/deliver", TAG),
)
GET_ORDER_HISTORY = Operation(
    id="getOrderHistory",
    service=SERVICE,
    method="get_order_history",
    access=ORDERS_READ,
    doc="Every status change of the order, oldest first, a page of them.",
    query=PageQuerySchema,
    reply=page_of(HistoryEntrySchema),
    errors=(NotFound,),
    http=Http("GET", "/orders/<order_id>/history", TAG),
)
SNAPSHOT_ORDERS = Operation(
    id="snapshotOrders",
    service=SERVICE,
    method="snapshot_orders",
    access=ORDERS_EXPORT,
    doc="Orders by id, a batch at a time: what the read side (order_queries) is rebuilt from.",
    errors=(Invalid,),
)
RESERVATIONS_IN_USE = Operation(
    id="reservationsInUse",
    service=SERVICE,
    method="reservations_in_use",
    access=ORDER_RESERVATIONS,
    doc="Of these order ids, those whose stock reservation must stay (products' expiry sweep).",
    errors=(Invalid,),
)
HAS_OPEN_ORDERS = Operation(
    id="hasOpenOrders",
    service=SERVICE,
    method="has_open_orders",
    access=ORDER_RESERVATIONS,
    doc="Whether the product is in an order not yet finished (products, before deleting one).",
)
