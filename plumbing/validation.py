"""Loading RPC payloads with marshmallow, turning failures into `Invalid`."""

from marshmallow import Schema, ValidationError

from plumbing.errors import Invalid


def load(schema: Schema, payload, **kwargs):
    if payload is None:
        payload = {}
    try:
        return schema.load(payload, **kwargs)
    except ValidationError as exc:
        raise Invalid("The request has invalid fields.", errors=exc.messages) from exc
