"""The orders service's operations (contracts.operation)."""

from contracts.operation import Http, Operation, page_of
from contracts.orders import (
    CancelItemsSchema,
    CreateOrderSchema,
    CreateShipmentSchema,
    HistoryEntrySchema,
    IdempotencyKeySchema,
    IllegalMove,
    NotEnoughToCancel,
    NotEnoughToShip,
    OrderQuerySchema,
    OrderSchema,
    ReasonSchema,
    ReceiveReturnSchema,
    RequestReturnSchema,
    ReturnNotAllowed,
    ReturnSchema,
    ShipmentSchema,
    UpdateOrderSchema,
)
from contracts.payments import CaptureFailed
from contracts.quotes import CreateQuoteSchema, QuoteSchema
from wire.access import (
    ADMIN_ONLY,
    ORDER_RESERVATIONS,
    ORDERS_CANCEL,
    ORDERS_EXPORT,
    ORDERS_FULFIL,
    ORDERS_READ,
    SIGNED_IN,
)
from wire.errors import Conflict, Invalid, NotFound, Unavailable
from wire.pagination import PageQuerySchema

SERVICE = "orders"
TAG = "orders"

CREATE_ORDER = Operation(
    id="createOrder",
    service=SERVICE,
    method="create_order",
    access=SIGNED_IN,
    doc="""Place an order. Prices come from the catalog, or from the customer's quote
    (`quote_id`), never from the client. The same Idempotency-Key with the same body returns the
    same order; with another body, 422. 409 names the items short of stock, or says the quote
    expired or was used; 422 says the quote is unknown or for other items.""",
    headers=IdempotencyKeySchema,
    body=CreateOrderSchema,
    reply=OrderSchema,
    errors=(Conflict, Invalid),
    http=Http("POST", "/orders", TAG, status=201),
)
CREATE_QUOTE = Operation(
    id="createQuote",
    service=SERVICE,
    method="create_quote",
    access=SIGNED_IN,
    doc="""Price a cart and hold those prices for you until `expires_at` (QUOTE_TTL, 15 minutes
    by default). An order citing it (`quote_id`, the same items and quantities) is placed at these
    prices even if the catalog changed since; one order at most. Stock is not held: the order
    reserves it when placed. 422 names unknown products, or items in more than one currency.""",
    body=CreateQuoteSchema,
    reply=QuoteSchema,
    errors=(Invalid,),
    http=Http("POST", "/quotes", TAG, status=201),
)
GET_QUOTE = Operation(
    id="getQuote",
    service=SERVICE,
    method="get_quote",
    access=SIGNED_IN,
    doc="A quote, for its customer or an admin (404 for anyone else), with the order that used it.",
    reply=QuoteSchema,
    errors=(NotFound,),
    http=Http("GET", "/quotes/<quote_id>", TAG),
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
    doc="""Cancel before anything ships: the stock goes back, and the payment's authorization is
    voided (the order then becomes refunded). 409 once a parcel has shipped: cancel the remaining
    items instead.""",
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
    doc="""Ship everything that remains in one parcel (carrier "unspecified", no tracking number):
    its amount is captured first (admin). 409 if the capture fails.""",
    reply=OrderSchema,
    errors=(NotFound, Conflict, Unavailable),
    http=Http("POST", "/orders/<order_id>/ship", TAG),
)
DELIVER_ORDER = Operation(
    id="deliverOrder",
    service=SERVICE,
    method="deliver_order",
    access=ORDERS_FULFIL,
    doc="Mark every shipped parcel delivered: a shipped order becomes delivered (admin).",
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

# --- after the sale: shipments, line cancellation, returns (issue 24) ---------------------------

CREATE_SHIPMENT = Operation(
    id="createShipment",
    service=SERVICE,
    method="create_shipment",
    access=ORDERS_FULFIL,
    doc="""Ship some lines of a confirmed order in one parcel, with its carrier and tracking number
    (admin). The parcel's amount is captured from the payment's authorization first (re-authorized
    if it expired): a failed capture is a 409 and nothing ships. 409 `NotEnoughToShip` names a
    line asked beyond what remains to ship. The same Idempotency-Key answers the same shipment;
    503 while payments can't answer (the shipment completes by itself, or on a retry).""",
    headers=IdempotencyKeySchema,
    body=CreateShipmentSchema,
    reply=ShipmentSchema,
    errors=(NotFound, Conflict, NotEnoughToShip, CaptureFailed, IllegalMove, Invalid, Unavailable),
    http=Http("POST", "/orders/<order_id>/shipments", TAG, status=201),
)
LIST_SHIPMENTS = Operation(
    id="listShipments",
    service=SERVICE,
    method="list_shipments",
    access=ORDERS_READ,
    doc="The order's shipments, oldest first (404 if the order isn't yours).",
    reply=ShipmentSchema(many=True),
    errors=(NotFound,),
    http=Http("GET", "/orders/<order_id>/shipments", TAG),
)
DELIVER_SHIPMENT = Operation(
    id="deliverShipment",
    service=SERVICE,
    method="deliver_shipment",
    access=ORDERS_FULFIL,
    doc="""Mark one shipment delivered (admin); the order is delivered once every shipment is and
    nothing remains to ship. Delivering a delivered shipment answers it again.""",
    headers=IdempotencyKeySchema,
    reply=ShipmentSchema,
    errors=(NotFound, Conflict, IllegalMove, Invalid),
    http=Http("POST", "/orders/<order_id>/shipments/<shipment_id>/deliver", TAG),
)
CANCEL_ITEMS = Operation(
    id="cancelOrderItems",
    service=SERVICE,
    method="cancel_items",
    access=ORDERS_CANCEL,
    doc="""Cancel some quantity of lines not yet shipped (the owner, or an admin): their stock goes
    back and their share of the authorization is voided. Cancelling everything cancels the order.
    409 `NotEnoughToCancel` names a line asked beyond what remains unshipped.""",
    headers=IdempotencyKeySchema,
    body=CancelItemsSchema,
    reply=OrderSchema,
    errors=(NotFound, Conflict, NotEnoughToCancel, IllegalMove, Invalid),
    http=Http("POST", "/orders/<order_id>/cancel-items", TAG),
)
REQUEST_RETURN = Operation(
    id="requestReturn",
    service=SERVICE,
    method="request_return",
    access=ORDERS_CANCEL,
    doc="""Ask to send back delivered units (the owner, or an admin), each line with a reason, within
    the return window after its delivery. 409 `ReturnNotAllowed` past the window, or beyond what
    was delivered and not already returned, naming the line.""",
    headers=IdempotencyKeySchema,
    body=RequestReturnSchema,
    reply=ReturnSchema,
    errors=(NotFound, ReturnNotAllowed, Invalid),
    http=Http("POST", "/orders/<order_id>/returns", TAG, status=201),
)
LIST_RETURNS = Operation(
    id="listReturns",
    service=SERVICE,
    method="list_returns",
    access=ORDERS_READ,
    doc="The order's returns, oldest first (404 if the order isn't yours).",
    reply=ReturnSchema(many=True),
    errors=(NotFound,),
    http=Http("GET", "/orders/<order_id>/returns", TAG),
)
APPROVE_RETURN = Operation(
    id="approveReturn",
    service=SERVICE,
    method="approve_return",
    access=ORDERS_FULFIL,
    doc="Approve a requested return: the customer may send the goods (admin).",
    headers=IdempotencyKeySchema,
    reply=ReturnSchema,
    errors=(NotFound, IllegalMove, Invalid),
    http=Http("POST", "/returns/<return_id>/approve", TAG),
)
REJECT_RETURN = Operation(
    id="rejectReturn",
    service=SERVICE,
    method="reject_return",
    access=ORDERS_FULFIL,
    doc="Reject a requested return, with a reason (admin): its units may be asked for again.",
    headers=IdempotencyKeySchema,
    body=ReasonSchema,
    body_required=False,
    reply=ReturnSchema,
    errors=(NotFound, IllegalMove, Invalid),
    http=Http("POST", "/returns/<return_id>/reject", TAG),
)
RECEIVE_RETURN = Operation(
    id="receiveReturn",
    service=SERVICE,
    method="receive_return",
    access=ORDERS_FULFIL,
    doc="""Receive an approved return's goods (admin): per line the units that arrived and whether
    they go back on sale. Their amount is refunded through payments (with a credit note when the
    order was invoiced), and the customer is told.""",
    headers=IdempotencyKeySchema,
    body=ReceiveReturnSchema,
    reply=ReturnSchema,
    errors=(NotFound, ReturnNotAllowed, IllegalMove, Invalid),
    http=Http("POST", "/returns/<return_id>/receive", TAG),
)
