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
from gateway.api import ApiBlueprint, errors, json_body, page_of, query_args, reply
from gateway.auth import BEARER_AUTH, current_actor, requires
from gateway.context import oms
from plumbing.access import ADMIN_ONLY, ORDERS_CANCEL, ORDERS_FULFIL, ORDERS_READ, SIGNED_IN
from plumbing.pagination import PageQuerySchema

blp = ApiBlueprint("orders", __name__, url_prefix="/api/v1", description="Orders and what follows them")


class IdempotencyKeySchema(Schema):
    idempotency_key = fields.String(
        required=True, data_key="Idempotency-Key", validate=validate.Length(min=1, max=200)
    )


@blp.route("/orders", methods=["POST"])
@requires(SIGNED_IN)
@blp.arguments(IdempotencyKeySchema, location="headers")
@blp.arguments(CreateOrderSchema)
@blp.response(201, OrderSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 409, 422, 429, 503)
def create_order(headers, _):
    """Place an order. Prices come from the catalog, never from the client. The same
    Idempotency-Key with the same body returns the same order; with another body, 422.
    409 names the items short of stock."""
    return reply(oms().call("orders", "create_order", json_body(), headers["idempotency_key"]), 201)


@blp.route("/orders", methods=["GET"])
@requires(ORDERS_READ)
@blp.arguments(OrderQuerySchema, location="query")
@blp.response(200, page_of(OrderSchema))
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 422, 429, 503)
def list_orders(_):
    """Newest first: your own orders, or all of them for an admin. Filter by `status` and by
    `created_from` / `created_to` (ISO 8601 with an offset)."""
    return reply(oms().call("orders", "list_orders", query_args()))


@blp.route("/orders/<order_id>", methods=["GET"])
@requires(ORDERS_READ)
@blp.response(200, OrderSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def get_order(order_id):
    """One order (404 if it isn't yours)."""
    return reply(oms().call("orders", "get_order", order_id))


@blp.route("/orders/<order_id>", methods=["PATCH"])
@requires(SIGNED_IN)
@blp.arguments(UpdateOrderSchema)
@blp.response(200, OrderSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 404, 409, 422, 429, 503)
def update_order(_, order_id):
    """Change the shipping address until the order ships."""
    return reply(oms().call("orders", "update_order", order_id, json_body()))


@blp.route("/orders/<order_id>", methods=["DELETE"])
@requires(ADMIN_ONLY)
@blp.response(204)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 409, 429, 503)
def delete_order(order_id):
    """Delete a finished order: delivered, refunded, or cancelled unpaid (admin)."""
    oms().call("orders", "delete_order", order_id)
    return reply(None, 204)


@blp.route("/orders/<order_id>/cancel", methods=["POST"])
@requires(ORDERS_CANCEL)
@blp.arguments(ReasonSchema, required=False)
@blp.response(200, OrderSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 404, 409, 422, 429, 503)
def cancel_order(body, order_id):
    """Cancel before shipping: the stock goes back, and a paid order is refunded."""
    return reply(oms().call("orders", "cancel_order", order_id, body or {}))


@blp.route("/orders/<order_id>/ship", methods=["POST"])
@requires(ORDERS_FULFIL)
@blp.response(200, OrderSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 409, 429, 503)
def ship_order(order_id):
    """confirmed → shipped (admin)."""
    return reply(oms().call("orders", "ship_order", order_id))


@blp.route("/orders/<order_id>/deliver", methods=["POST"])
@requires(ORDERS_FULFIL)
@blp.response(200, OrderSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 409, 429, 503)
def deliver_order(order_id):
    """shipped → delivered (admin)."""
    return reply(oms().call("orders", "deliver_order", order_id))


@blp.route("/orders/<order_id>/history", methods=["GET"])
@requires(ORDERS_READ)
@blp.response(200, HistoryEntrySchema(many=True))
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def order_history(order_id):
    """Every status change of the order, oldest first."""
    return reply(oms().call("orders", "get_order_history", order_id))


@blp.route("/orders/<order_id>/payment", methods=["GET"])
@requires(ORDERS_READ)
@blp.response(200, PaymentSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def order_payment(order_id):
    """The order's payment (404 until payments has handled the order, or if it isn't yours)."""
    return reply(oms().call("payments", "get_payment", order_id))


@blp.route("/notifications", methods=["GET"])
@requires(SIGNED_IN)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_of(NotificationSchema))
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 422, 429, 503)
def list_notifications(page):
    """Your notifications, newest first."""
    return reply(oms().call("notifications", "list_notifications", current_actor().id, page["page"], page["page_size"]))
