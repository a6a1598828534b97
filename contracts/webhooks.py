"""RPC payloads of the webhooks service, and the webhook event types."""

import fnmatch

from marshmallow import Schema, fields, validate

from contracts.events import SOURCES
from wire.pagination import PageQuerySchema
from wire.validation import JsonBoolean, JsonInteger, UtcTime

# The resources whose events are delivered; an event's webhook type is `<resource>.<what>`
# (order_created -> order.created, credit_note_issued -> credit_note.issued).
RESOURCES = ("order", "shipment", "return", "payment", "invoice", "credit_note")
TEST_EVENT = "webhook.test"


def webhook_type(event_type: str) -> str:
    for resource in sorted(RESOURCES, key=len, reverse=True):
        if event_type.startswith(resource + "_"):
            return f"{resource}.{event_type.removeprefix(resource + '_')}"
    raise ValueError(f"{event_type} is not delivered by webhooks")


# Every mesh event a webhook may subscribe to, by its webhook type.
WEBHOOK_EVENTS: dict[str, str] = {
    webhook_type(name): name for name in SOURCES if name.startswith(tuple(r + "_" for r in RESOURCES))
}
WEBHOOK_TYPES = (*WEBHOOK_EVENTS, TEST_EVENT)


def matches(patterns: list[str], webhook_type_: str) -> bool:
    """Does a subscription (`order.*`, `payment.refunded`, `*`) take this type?"""
    return any(fnmatch.fnmatchcase(webhook_type_, pattern) for pattern in patterns)


# What an endpoint may subscribe to: a type, every type of a resource, or everything.
SUBSCRIBABLE = (*WEBHOOK_TYPES, *sorted({kind.split(".")[0] + ".*" for kind in WEBHOOK_TYPES}), "*")
EVENT_PATTERN = fields.String(validate=validate.OneOf(SUBSCRIBABLE))
# http(s), a host name or address (labels of 1 to 63 characters, as DNS carries them: the HTTP
# client refuses others before it sends), a port, a path of printable characters (no
# credentials): the service checks further where it may point (webhooks/addresses.py).
URL = dict(validate=[validate.Length(min=1, max=2000),
                     validate.Regexp(r"^https?://[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.?(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[!-~]*)?$")],
           metadata={"description": "http(s)://host[:port][/path]; in production mode https to a public address"})


class EndpointCreateSchema(Schema):
    url = fields.String(required=True, **URL)
    event_types = fields.List(EVENT_PATTERN, required=True, validate=validate.Length(min=1, max=50))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    enabled = JsonBoolean(load_default=True)


class EndpointUpdateSchema(Schema):
    class Meta:
        json_schema_keywords = {"minProperties": 1}

    url = fields.String(**URL)
    event_types = fields.List(EVENT_PATTERN, validate=validate.Length(min=1, max=50))
    description = fields.String(validate=validate.Length(max=500))
    enabled = JsonBoolean()


class EndpointSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    description = fields.String(required=True)
    enabled = fields.Boolean(required=True)
    disabled_reason = fields.String(required=True, allow_none=True)
    previous_secret_until = fields.DateTime(required=True, allow_none=True,
                                            metadata={"description": "the old secret signs too until then"})
    failing_since = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(required=True, metadata={"description": "shown once: verify signatures with it"})


class RotateSecretSchema(Schema):
    grace_seconds = JsonInteger(load_default=86400, validate=validate.Range(min=0, max=7 * 86400),
                                metadata={"description": "how long the old secret signs too"})


class DeliveryQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(("pending", "succeeded", "failed")))
    event_type = fields.String(validate=validate.Length(min=1, max=64))
    order_id = fields.String(validate=validate.Length(min=1, max=64))


class ReplaySchema(Schema):
    since = UtcTime(required=True, metadata={"description": "failed deliveries created at or after (ISO 8601)"})


class AttemptSchema(Schema):
    number = fields.Integer(required=True)
    started_at = fields.DateTime(required=True)
    request_headers = fields.Dict(required=True)
    request_body = fields.String(required=True)
    response_status = fields.Integer(required=True, allow_none=True)
    response_body = fields.String(required=True, allow_none=True)
    duration_ms = fields.Integer(required=True)
    error = fields.String(required=True, allow_none=True)


class DeliverySchema(Schema):
    id = fields.String(required=True)
    endpoint_id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    order_id = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(required=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(required=True, allow_none=True)


class DeliveryWithAttemptsSchema(DeliverySchema):
    body = fields.String(required=True)
    attempt_log = fields.List(fields.Nested(AttemptSchema), required=True)


class ReplayedSchema(Schema):
    replayed = fields.Integer(required=True, metadata={"description": "failed deliveries queued again"})
