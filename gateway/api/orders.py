"""Orders, their history and payment, and a customer's notifications."""

from marshmallow import Schema, fields, validate

from contracts.notifications import NotificationSchema
from contracts.orders import (
    CreateOrderSchema,
    HistoryEntrySchema,
    OrderQuerySchema,
    OrderSchema,
    ReasonSchema,
    UpdateOrderSchema,
)
from contracts.payments import PaymentSchema
from gateway.api import ApiBlueprint, json_body, page_of, query_args, reply
from gateway.auth import current_actor
from gateway.context import oms
from wire.access import ADMIN_ONLY, ORDERS_CANCEL, ORDERS_FULFIL, ORDERS_READ, SIGNED_IN
from wire.pagination import PageQuerySchema

blp = ApiBlueprint("orders", __name__, url_prefix="/api/v1", description="Orders and what follows them")


class IdempotencyKeySchema(Schema):
    idempotency_key = fields.String(
        required=True, data_key="Idempotency-Key", validate=validate.Length(min=1, max=200)
    )


@blp.operation(
    "/orders",
    "POST",
    access=SIGNED_IN,
    headers=IdempotencyKeySchema,
    body=CreateOrderSchema,
    status=201,
    schema=OrderSchema,
    raises=(409,),
)
def create_order(headers, _):
    """Place an order. Prices come from the catalog, never from the client. The same
    Idempotency-Key with the same body returns the same order; with another body, 422.
    409 names the items short of stock."""
    return reply(oms().call("orders", "create_order", json_body(), headers["idempotency_key"]), 201)


@blp.operation("/orders", "GET", access=ORDERS_READ, query=OrderQuerySchema, schema=page_of(OrderSchema))
def list_orders(_):
    """Newest first: your own orders, or all of them for an admin. Filter by `status` and by
    `created_from` / `created_to` (ISO 8601 with an offset)."""
    return reply(oms().call("orders", "list_orders", query_args()))


@blp.operation("/orders/<order_id>", "GET", access=ORDERS_READ, schema=OrderSchema, raises=(404,))
def get_order(order_id):
    """One order (404 if it isn't yours)."""
    return reply(oms().call("orders", "get_order", order_id))


@blp.operation(
    "/orders/<order_id>",
    "PATCH",
    access=SIGNED_IN,
    body=UpdateOrderSchema,
    schema=OrderSchema,
    raises=(404, 409),
)
def update_order(_, order_id):
    """Change the shipping address until the order ships."""
    return reply(oms().call("orders", "update_order", order_id, json_body()))


@blp.operation("/orders/<order_id>", "DELETE", access=ADMIN_ONLY, status=204, raises=(404, 409))
def delete_order(order_id):
    """Delete a finished order: delivered, refunded, or cancelled unpaid (admin)."""
    oms().call("orders", "delete_order", order_id)
    return reply(None, 204)


@blp.operation(
    "/orders/<order_id>/cancel",
    "POST",
    access=ORDERS_CANCEL,
    body=ReasonSchema,
    body_required=False,
    schema=OrderSchema,
    raises=(404, 409),
)
def cancel_order(body, order_id):
    """Cancel before shipping: the stock goes back, and a paid order is refunded."""
    return reply(oms().call("orders", "cancel_order", order_id, body or {}))


@blp.operation("/orders/<order_id>/ship", "POST", access=ORDERS_FULFIL, schema=OrderSchema, raises=(404, 409))
def ship_order(order_id):
    """confirmed → shipped (admin)."""
    return reply(oms().call("orders", "ship_order", order_id))


@blp.operation("/orders/<order_id>/deliver", "POST", access=ORDERS_FULFIL, schema=OrderSchema, raises=(404, 409))
def deliver_order(order_id):
    """shipped → delivered (admin)."""
    return reply(oms().call("orders", "deliver_order", order_id))


@blp.operation(
    "/orders/<order_id>/history",
    "GET",
    access=ORDERS_READ,
    query=PageQuerySchema,
    schema=page_of(HistoryEntrySchema),
    raises=(404,),
)
def get_order_history(page, order_id):
    """The order's status changes, oldest first, a page of them."""
    return reply(oms().call("orders", "get_order_history", order_id, page["page"], page["page_size"]))


@blp.operation("/orders/<order_id>/payment", "GET", access=ORDERS_READ, schema=PaymentSchema, raises=(404,))
def get_order_payment(order_id):
    """The order's payment (404 until payments has handled the order, or if it isn't yours)."""
    return reply(oms().call("payments", "get_payment", order_id))


@blp.operation("/notifications", "GET", access=SIGNED_IN, query=PageQuerySchema, schema=page_of(NotificationSchema))
def list_notifications(page):
    """Your notifications, newest first."""
    return reply(oms().call("notifications", "list_notifications", current_actor().id, page["page"], page["page_size"]))
