"""Loading RPC payloads with marshmallow, turning failures into `Invalid`."""

from marshmallow import Schema, ValidationError

from plumbing.errors import Invalid


def load(schema: Schema, payload, **kwargs):
    if payload is None:
        payload = {}
    if _has_nul(payload):
        # PostgreSQL text can't hold NUL: refuse it here rather than fail in the driver.
        raise Invalid("Text may not contain NUL characters.")
    try:
        return schema.load(payload, **kwargs)
    except ValidationError as exc:
        raise Invalid("The request has invalid fields.", errors=exc.messages) from exc


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False
