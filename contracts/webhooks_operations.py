"""The webhooks service's operations (contracts.operation)."""

from contracts.operation import Http, Operation, page_of
from contracts.webhooks import (
    DeliveryQuerySchema,
    DeliverySchema,
    DeliveryWithAttemptsSchema,
    EndpointCreateSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    EndpointWithSecretSchema,
    ReplayedSchema,
    ReplaySchema,
    RotateSecretSchema,
)
from wire.access import WEBHOOKS_MANAGE
from wire.errors import Conflict, Invalid, NotFound
from wire.pagination import PageQuerySchema

SERVICE = "webhooks"
WEBHOOKS = "webhooks"

CREATE_WEBHOOK = Operation(
    id="createWebhook",
    service=SERVICE,
    method="create_endpoint",
    access=WEBHOOKS_MANAGE,
    doc="""Register an endpoint for the event types it wants (patterns such as `order.*`). The answer
    holds its signing `secret`, shown only this once. In production mode the URL must be https and
    resolve to public addresses only (422 otherwise).""",
    body=EndpointCreateSchema,
    reply=EndpointWithSecretSchema,
    errors=(Invalid,),
    http=Http("POST", "/webhooks", WEBHOOKS, status=201),
)
LIST_WEBHOOKS = Operation(
    id="listWebhooks",
    service=SERVICE,
    method="list_endpoints",
    access=WEBHOOKS_MANAGE,
    doc="Every webhook endpoint, oldest first.",
    query=PageQuerySchema,
    reply=page_of(EndpointSchema),
    errors=(Invalid,),
    http=Http("GET", "/webhooks", WEBHOOKS),
)
GET_WEBHOOK = Operation(
    id="getWebhook",
    service=SERVICE,
    method="get_endpoint",
    access=WEBHOOKS_MANAGE,
    doc="One webhook endpoint.",
    reply=EndpointSchema,
    errors=(NotFound,),
    http=Http("GET", "/webhooks/<webhook_id>", WEBHOOKS),
)
UPDATE_WEBHOOK = Operation(
    id="updateWebhook",
    service=SERVICE,
    method="update_endpoint",
    access=WEBHOOKS_MANAGE,
    doc="""Change an endpoint's URL, event types, description, or enable or disable it. Enabling
    one that was disabled for failing starts its count of failures afresh.""",
    body=EndpointUpdateSchema,
    reply=EndpointSchema,
    errors=(NotFound, Invalid),
    http=Http("PATCH", "/webhooks/<webhook_id>", WEBHOOKS),
)
DELETE_WEBHOOK = Operation(
    id="deleteWebhook",
    service=SERVICE,
    method="delete_endpoint",
    access=WEBHOOKS_MANAGE,
    doc="Delete an endpoint, with its deliveries and their log.",
    errors=(NotFound,),
    http=Http("DELETE", "/webhooks/<webhook_id>", WEBHOOKS, status=204),
)
ROTATE_WEBHOOK_SECRET = Operation(
    id="rotateWebhookSecret",
    service=SERVICE,
    method="rotate_secret",
    access=WEBHOOKS_MANAGE,
    doc="""A new signing secret, shown once. For `grace_seconds` (default a day) every request is
    signed with both the new and the old secret, so a receiver can switch without losing any.""",
    body=RotateSecretSchema,
    body_required=False,
    reply=EndpointWithSecretSchema,
    errors=(NotFound, Invalid),
    http=Http("POST", "/webhooks/<webhook_id>/rotate-secret", WEBHOOKS),
)
SEND_TEST_WEBHOOK = Operation(
    id="sendTestWebhook",
    service=SERVICE,
    method="send_test_event",
    access=WEBHOOKS_MANAGE,
    doc="Queue a `webhook.test` event for the endpoint now; the answer is its delivery.",
    reply=DeliverySchema,
    errors=(NotFound,),
    http=Http("POST", "/webhooks/<webhook_id>/test", WEBHOOKS, status=201),
)
LIST_WEBHOOK_DELIVERIES = Operation(
    id="listWebhookDeliveries",
    service=SERVICE,
    method="list_deliveries",
    access=WEBHOOKS_MANAGE,
    doc="The endpoint's deliveries, newest first, filtered by `status`, `event_type` and `order_id`.",
    query=DeliveryQuerySchema,
    reply=page_of(DeliverySchema),
    errors=(NotFound, Invalid),
    http=Http("GET", "/webhooks/<webhook_id>/deliveries", WEBHOOKS),
)
GET_WEBHOOK_DELIVERY = Operation(
    id="getWebhookDelivery",
    service=SERVICE,
    method="get_delivery",
    access=WEBHOOKS_MANAGE,
    doc="""One delivery with every attempt: the request's headers and body, the answer's status and
    body (capped), the duration, the error.""",
    reply=DeliveryWithAttemptsSchema,
    errors=(NotFound,),
    http=Http("GET", "/webhooks/<webhook_id>/deliveries/<delivery_id>", WEBHOOKS),
)
RETRY_WEBHOOK_DELIVERY = Operation(
    id="retryWebhookDelivery",
    service=SERVICE,
    method="retry_delivery",
    access=WEBHOOKS_MANAGE,
    doc="""Attempt a delivery again now, with a fresh retry schedule (a failed one is pending again);
    409 for one that succeeded.""",
    reply=DeliverySchema,
    errors=(NotFound, Conflict),
    http=Http("POST", "/webhooks/<webhook_id>/deliveries/<delivery_id>/retry", WEBHOOKS),
)
REPLAY_WEBHOOK_FAILURES = Operation(
    id="replayWebhookFailures",
    service=SERVICE,
    method="replay_failed",
    access=WEBHOOKS_MANAGE,
    doc="""Queue again every failed delivery of the endpoint created since `since`, in their order,
    each with a fresh retry schedule (e.g. once a receiver is back).""",
    body=ReplaySchema,
    reply=ReplayedSchema,
    errors=(NotFound, Invalid),
    http=Http("POST", "/webhooks/<webhook_id>/replay", WEBHOOKS),
)
