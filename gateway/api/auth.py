"""Registration, login, token refresh and logout."""

from marshmallow import Schema, fields, validate

from contracts.users import LoginSchema, RegisterSchema, TokenPairSchema, UserSchema
from gateway.api import ApiBlueprint, json_body, reply
from gateway.context import oms

blp = ApiBlueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


class RefreshTokenSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


@blp.operation("/register", "POST", body=RegisterSchema, status=201, schema=UserSchema, raises=(409,))
def register_user(_):
    """Create a customer account."""
    return reply(oms().call("users", "register", json_body()), 201)


@blp.operation("/login", "POST", body=LoginSchema, schema=TokenPairSchema, raises=(401,))
def login(_):
    """Exchange email and password for an access token and a refresh token.

    Failed logins are limited per account and client address, and per account (config
    LOGIN_LIMITS): past a limit the answer is 429 with Retry-After, whatever the password."""
    return reply(oms().call("users", "login", json_body()))


@blp.operation("/refresh", "POST", body=RefreshTokenSchema, schema=TokenPairSchema, raises=(401,))
def refresh_tokens(body):
    """Rotate a refresh token: returns a new pair; the old refresh token stops working."""
    return reply(oms().call("users", "refresh", body["refresh_token"]))


@blp.operation("/logout", "POST", body=RefreshTokenSchema, status=204)
def logout(body):
    """Revoke the refresh token and the access tokens of its session."""
    oms().call("users", "logout", body["refresh_token"])
    return reply(None, 204)
