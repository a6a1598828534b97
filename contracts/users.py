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

    class Meta:
        # The rules for the OpenAPI document (gateway/openapi.py): at least one change, and
        # `current_password` is no change of its own; the validator below and the service enforce them.
        json_schema_keywords = {
            "minProperties": 1,
            "dependentRequired": {name: ["current_password"] for name in CREDENTIALS},
            "dependentSchemas": {"current_password": {"minProperties": 2}},
        }

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
    id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class TokenPairSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(
        required=True, allow_none=True, metadata={"description": "null while the token store is down"}
    )
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class OAuthClientCreateSchema(Schema):
    name = fields.String(required=True, **NAME)
    scopes = fields.List(
        fields.String(validate=validate.OneOf(sorted(SCOPES))), required=True, validate=validate.Length(min=1, max=20)
    )


class OAuthClientSchema(Schema):
    client_id = fields.String(required=True, attribute="id")
    name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    secret_rotated_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)
    managed = fields.Boolean(
        required=True,
        metadata={"description": "A service's own client, kept as config says: it can't be revoked or rotated here."}
    )


class OAuthClientWithSecretSchema(OAuthClientSchema):
    client_secret = fields.String(required=True, metadata={"description": "Shown only here: store it now."})


class OAuthClientTokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    scope = fields.String(required=True)


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
