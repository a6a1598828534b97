"""RPC payloads of the users service."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wire.access import ROLES, SCOPES

EMAIL = dict(validate=[validate.Email(), validate.Length(max=254)])
PASSWORD = dict(validate=validate.Length(min=10, max=128), load_only=True)
NAME = dict(validate=validate.Length(min=1, max=200))


class RegisterSchema(Schema):
    email = fields.Email(required=True, **EMAIL)
    password = fields.String(required=True, **PASSWORD)
    name = fields.String(required=True, **NAME)


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


CREDENTIALS = ("email", "password")


class UserUpdateSchema(Schema):
    """What a user may change of itself; `role` is for admins only (checked in the service). A new
    email or password needs `current_password`: the caller's own, an admin's own for another's."""

    email = fields.Email(**EMAIL)
    password = fields.String(**PASSWORD)
    name = fields.String(**NAME)
    role = fields.String(validate=validate.OneOf(ROLES))
    current_password = fields.String(
        load_only=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "The caller's own current password: required with email or password."},
    )

    @validates_schema
    def _current_password_with_credentials(self, data, **kwargs):
        if any(name in data for name in CREDENTIALS) and "current_password" not in data:
            raise ValidationError("Required to change email or password.", "current_password")


class UserSchema(Schema):
    id = fields.String()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    created_at = fields.DateTime()


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String(allow_none=True, metadata={"description": "null while the token store is down"})
    token_type = fields.String()
    expires_in = fields.Integer()


class ClientCreateSchema(Schema):
    name = fields.String(required=True, **NAME)
    scopes = fields.List(
        fields.String(validate=validate.OneOf(sorted(SCOPES))), required=True, validate=validate.Length(min=1, max=20)
    )


class ClientSchema(Schema):
    client_id = fields.String(attribute="id")
    name = fields.String()
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    secret_rotated_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    managed = fields.Boolean(
        metadata={"description": "A service's own client, kept as config says: it can't be revoked or rotated here."}
    )


class ClientWithSecretSchema(ClientSchema):
    client_secret = fields.String(metadata={"description": "Shown only here: store it now."})


class ClientTokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    scope = fields.String()


class IntrospectionSchema(Schema):
    """RFC 7662 §2.2: only `active` when the token is not."""

    active = fields.Boolean(required=True)
    sub = fields.String()
    client_id = fields.String()
    scope = fields.String()
    role = fields.String()
    token_type = fields.String()
    exp = fields.Integer()
    iat = fields.Integer()
    iss = fields.String()
    aud = fields.String()


class RefreshTokenSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))
