"""Orders, their history and payment, and a customer's notifications."""

from contracts.notifications_operations import LIST_NOTIFICATIONS
from contracts.orders_operations import (
    CANCEL_ORDER,
    CREATE_ORDER,
    DELETE_ORDER,
    DELIVER_ORDER,
    GET_ORDER,
    GET_ORDER_HISTORY,
    LIST_ORDERS,
    SHIP_ORDER,
    UPDATE_ORDER,
)
from contracts.payments_operations import GET_PAYMENT
from gateway.api import ApiBlueprint, json_body, query_args, reply
from gateway.auth import current_actor
from gateway.context import services

blp = ApiBlueprint("orders", __name__, url_prefix="/api/v1", description="Orders and what follows them")


@blp.operation(CREATE_ORDER)
def create_order(headers, _):
    return reply(services().orders.create_order(json_body(), headers["idempotency_key"]), 201)


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
