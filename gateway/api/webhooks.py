"""Webhook endpoints and their delivery log, for admins and clients with webhooks:manage."""

from contracts.webhooks_operations import (
    CREATE_WEBHOOK,
    DELETE_WEBHOOK,
    GET_WEBHOOK,
    GET_WEBHOOK_DELIVERY,
    LIST_WEBHOOK_DELIVERIES,
    LIST_WEBHOOKS,
    REPLAY_WEBHOOK_FAILURES,
    RETRY_WEBHOOK_DELIVERY,
    ROTATE_WEBHOOK_SECRET,
    SEND_TEST_WEBHOOK,
    UPDATE_WEBHOOK,
)
from gateway.api import ApiBlueprint, json_body, query_args, reply
from gateway.context import services

blp = ApiBlueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", description="Webhooks")


@blp.operation(CREATE_WEBHOOK)
def create_webhook(_):
    return reply(services().webhooks.create_endpoint(json_body()), 201)


@blp.operation(LIST_WEBHOOKS)
def list_webhooks(page):
    return reply(services().webhooks.list_endpoints(page["page"], page["page_size"]))


@blp.operation(GET_WEBHOOK)
def get_webhook(webhook_id):
    return reply(services().webhooks.get_endpoint(webhook_id))


@blp.operation(UPDATE_WEBHOOK)
def update_webhook(_, webhook_id):
    return reply(services().webhooks.update_endpoint(webhook_id, json_body()))


@blp.operation(DELETE_WEBHOOK)
def delete_webhook(webhook_id):
    services().webhooks.delete_endpoint(webhook_id)
    return reply(None, 204)


@blp.operation(ROTATE_WEBHOOK_SECRET)
def rotate_webhook_secret(body, webhook_id):
    return reply(services().webhooks.rotate_secret(webhook_id, body or {}))


@blp.operation(SEND_TEST_WEBHOOK)
def send_test_webhook(webhook_id):
    return reply(services().webhooks.send_test_event(webhook_id), 201)


@blp.operation(LIST_WEBHOOK_DELIVERIES)
def list_webhook_deliveries(_, webhook_id):
    return reply(services().webhooks.list_deliveries(webhook_id, query_args()))


@blp.operation(GET_WEBHOOK_DELIVERY)
def get_webhook_delivery(webhook_id, delivery_id):
    return reply(services().webhooks.get_delivery(webhook_id, delivery_id))


@blp.operation(RETRY_WEBHOOK_DELIVERY)
def retry_webhook_delivery(webhook_id, delivery_id):
    return reply(services().webhooks.retry_delivery(webhook_id, delivery_id))


@blp.operation(REPLAY_WEBHOOK_FAILURES)
def replay_webhook_failures(_, webhook_id):
    return reply(services().webhooks.replay_failed(webhook_id, json_body()))
