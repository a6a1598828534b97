"""Orders, their history and payment, price quotes, and a customer's notifications; after the
sale, their shipments, cancelled lines, returns and refunds (issue 24)."""

from contracts.notifications_operations import LIST_NOTIFICATIONS
from contracts.orders_operations import (
    APPROVE_RETURN,
    CANCEL_ITEMS,
    CANCEL_ORDER,
    CREATE_ORDER,
    CREATE_QUOTE,
    CREATE_SHIPMENT,
    DELETE_ORDER,
    DELIVER_ORDER,
    DELIVER_SHIPMENT,
    GET_ORDER,
    GET_ORDER_HISTORY,
    GET_QUOTE,
    LIST_ORDERS,
    LIST_RETURNS,
    LIST_SHIPMENTS,
    RECEIVE_RETURN,
    REJECT_RETURN,
    REQUEST_RETURN,
    SHIP_ORDER,
    UPDATE_ORDER,
)
from contracts.payments_operations import GET_PAYMENT, REFUND_PAYMENT
from gateway.api import ApiBlueprint, json_body, query_args, reply
from gateway.auth import current_actor
from gateway.context import services

blp = ApiBlueprint("orders", __name__, url_prefix="/api/v1", description="Orders and what follows them")


@blp.operation(CREATE_ORDER)
def create_order(headers, _):
    return reply(services().orders.create_order(json_body(), headers["idempotency_key"]), 201)


@blp.operation(CREATE_QUOTE)
def create_quote(_):
    return reply(services().orders.create_quote(json_body()), 201)


@blp.operation(GET_QUOTE)
def get_quote(quote_id):
    return reply(services().orders.get_quote(quote_id))


@blp.operation(LIST_ORDERS)
def list_orders(_):
    return reply(services().orders.list_orders(query_args()))


@blp.operation(GET_ORDER)
def get_order(order_id):
    return reply(services().orders.get_order(order_id))


@blp.operation(UPDATE_ORDER)
def update_order(_, order_id):
    return reply(services().orders.update_order(order_id, json_body()))


@blp.operation(DELETE_ORDER)
def delete_order(order_id):
    services().orders.delete_order(order_id)
    return reply(None, 204)


@blp.operation(CANCEL_ORDER)
def cancel_order(body, order_id):
    return reply(services().orders.cancel_order(order_id, body or {}))


@blp.operation(SHIP_ORDER)
def ship_order(order_id):
    return reply(services().orders.ship_order(order_id))


@blp.operation(DELIVER_ORDER)
def deliver_order(order_id):
    return reply(services().orders.deliver_order(order_id))


@blp.operation(GET_ORDER_HISTORY)
def get_order_history(page, order_id):
    return reply(services().orders.get_order_history(order_id, page["page"], page["page_size"]))


@blp.operation(GET_PAYMENT)
def order_payment(order_id):
    return reply(services().payments.get_payment(order_id))


@blp.operation(LIST_NOTIFICATIONS)
def list_notifications(page):
    return reply(services().notifications.list_notifications(current_actor().id, page["page"], page["page_size"]))


# --- after the sale (issue 24). Every action takes an Idempotency-Key, passed on to the service,
# which answers a replay with what the first request got (and another body with 422).


@blp.operation(CREATE_SHIPMENT)
def create_shipment(headers, _, order_id):
    return reply(services().orders.create_shipment(order_id, json_body(), headers["idempotency_key"]), 201)


@blp.operation(LIST_SHIPMENTS)
def list_shipments(order_id):
    return reply(services().orders.list_shipments(order_id))


@blp.operation(DELIVER_SHIPMENT)
def deliver_shipment(headers, order_id, shipment_id):
    return reply(services().orders.deliver_shipment(order_id, shipment_id, headers["idempotency_key"]))


@blp.operation(CANCEL_ITEMS)
def cancel_items(headers, _, order_id):
    return reply(services().orders.cancel_items(order_id, json_body(), headers["idempotency_key"]))


@blp.operation(REQUEST_RETURN)
def request_return(headers, _, order_id):
    return reply(services().orders.request_return(order_id, json_body(), headers["idempotency_key"]), 201)


@blp.operation(LIST_RETURNS)
def list_returns(order_id):
    return reply(services().orders.list_returns(order_id))


@blp.operation(APPROVE_RETURN)
def approve_return(headers, return_id):
    return reply(services().orders.approve_return(return_id, headers["idempotency_key"]))


@blp.operation(REJECT_RETURN)
def reject_return(headers, body, return_id):
    return reply(services().orders.reject_return(return_id, body or {}, headers["idempotency_key"]))


@blp.operation(RECEIVE_RETURN)
def receive_return(headers, _, return_id):
    return reply(services().orders.receive_return(return_id, json_body(), headers["idempotency_key"]))


@blp.operation(REFUND_PAYMENT)
def refund_payment(headers, _, order_id):
    return reply(services().payments.refund_payment(order_id, json_body(), headers["idempotency_key"]), 201)
