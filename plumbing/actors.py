"""Who is calling: every RPC that touches user data takes an `actor` {id, role}.

The gateway builds it from a verified JWT; operators in `nameko shell` pass their own.
Services check ownership with it themselves, not only the gateway."""

from marshmallow import Schema, fields, validate

from plumbing.errors import Forbidden, Invalid
from plumbing.validation import load

ADMIN = "admin"
CUSTOMER = "customer"
ROLES = (CUSTOMER, ADMIN)


class ActorSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


_actor_schema = ActorSchema()


def load_actor(actor) -> dict:
    if not isinstance(actor, dict):
        raise Invalid("An actor {id, role} is required.")
    return load(_actor_schema, actor)


def is_admin(actor: dict) -> bool:
    return actor["role"] == ADMIN


def require_admin(actor) -> dict:
    actor = load_actor(actor)
    if not is_admin(actor):
        raise Forbidden("This action needs the admin role.")
    return actor
