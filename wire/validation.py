"""Loading RPC payloads with marshmallow, turning failures into `Invalid`; fields shared by
several services' query schemas."""

from datetime import UTC

from marshmallow import Schema, ValidationError, fields

from wire.errors import Invalid


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


class UtcTime(fields.AwareDateTime):
    """An ISO 8601 time with its offset, loaded as UTC: PostgreSQL refuses offsets past ±15:59,
    which ISO 8601 and Python allow (the API fuzz run's "+20:52" was a 500)."""

    def _deserialize(self, value, attr, data, **kwargs):
        aware = super()._deserialize(value, attr, data, **kwargs)
        try:
            return aware.astimezone(UTC)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from exc


class JsonInteger(fields.Integer):
    """An integer as JSON Schema's `integer` means it, which the document promises: a number with
    no fraction, `3` or `3.0` alike (JSON has one number type), never a string or a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._deserialize(int(value), attr, data, **kwargs)


class JsonBoolean(fields.Boolean):
    """A boolean as JSON Schema's `boolean` means it: true or false, never 0, 1 or a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
