"""OAuth2 for service clients and integrators: the client-credentials grant (RFC 6749 §4.4) and
token introspection (RFC 7662), also at `/oauth/check_token`.

These routes speak OAuth's own wire format, not problem+json: form-encoded requests, and errors
as `{"error", "error_description"}` (RFC 6749 §5.2), which OAuth client libraries understand."""

import base64
import binascii
from urllib.parse import unquote_plus

from flask import g, jsonify, request
from marshmallow import Schema, fields

from contracts.users import IntrospectionSchema, OAuthClientTokenSchema
from gateway.api import ApiBlueprint, errors
from gateway.auth import BASIC_AUTH, BEARER_AUTH, bearer_token
from gateway.context import services
from gateway.errors import PROBLEM_JSON, ProblemSchema
from wire.errors import Invalid, Unauthenticated

blp = ApiBlueprint("oauth", __name__, url_prefix="/oauth", description="OAuth2 client credentials")

FORM = "application/x-www-form-urlencoded"
CLIENT_CREDENTIALS = "client_credentials"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthErrorSchema(Schema):
    error = fields.String(
        required=True, metadata={"description": "invalid_request, invalid_client, invalid_scope, ..."}
    )
    error_description = fields.String(required=True)
    request_id = fields.String(required=True)


def _oauth_error(description: str) -> dict:
    """An error documented both ways: OAuth's own, and the gateway's problem (e.g. a NUL in the URL)."""
    return {
        "description": description,
        "content": {"application/json": {"schema": OAuthErrorSchema}, PROBLEM_JSON: {"schema": ProblemSchema}},
    }


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str, basic_challenge: bool = False):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.basic_challenge = basic_challenge


@blp.errorhandler(OAuthError)
def oauth_error(error: OAuthError):
    response = jsonify(
        {"error": error.error, "error_description": error.description, "request_id": g.get("request_id", "")}
    )
    response.status_code = error.status
    response.headers.update(NO_STORE)
    if error.basic_challenge:
        response.headers["WWW-Authenticate"] = 'Basic realm="oms", charset="UTF-8"'
    return response


def _form() -> dict:
    if request.mimetype != FORM:
        raise OAuthError(400, "invalid_request", f"The body must be {FORM}.")
    form = request.form
    repeated = sorted(name for name in form if len(form.getlist(name)) > 1)
    if repeated:  # RFC 6749 §3.2: parameters must not be included more than once
        raise OAuthError(400, "invalid_request", f"Repeated parameters: {', '.join(repeated)}.")
    return form.to_dict()


def client_credentials(form: dict) -> tuple[str | None, str | None, bool]:
    """(client_id, client_secret, by Basic?) from HTTP Basic or the form, never both (§2.3)."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return form.get("client_id"), form.get("client_secret"), False
    if "client_secret" in form:
        raise OAuthError(400, "invalid_request", "Use one way to authenticate the client, not two.")
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        sep = ""
    if not sep:
        raise OAuthError(401, "invalid_client", "Malformed Basic credentials.", basic_challenge=True)
    # §2.3.1: both parts are form-urlencoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret), True


@blp.route("/token", methods=["POST"])
@blp.doc(
    summary="Issue a client-credentials access token",
    security=[*BASIC_AUTH, {}],  # {}: or the credentials in the form
    requestBody={
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "additionalProperties": {"type": "string"},  # ignored (RFC 6749 §3.2), each once
                    "properties": {
                        "grant_type": {"type": "string", "enum": [CLIENT_CREDENTIALS]},
                        "scope": {"type": "string", "description": "space-separated; default: all of the client's"},
                        "client_id": {"type": "string", "description": "unless sent by HTTP Basic"},
                        "client_secret": {"type": "string", "description": "unless sent by HTTP Basic"},
                    },
                }
            }
        },
    },
    responses={
        "200": {"description": "The token", "content": {"application/json": {"schema": OAuthClientTokenSchema}}},
        "400": _oauth_error("invalid_request, unsupported_grant_type or invalid_scope (RFC 6749 §5.2)"),
        "401": _oauth_error("invalid_client"),
    },
)
@errors(blp, 429, 503)
def issue_client_token():
    """The client-credentials grant: a short-lived bearer token with the client's scopes (or the
    `scope` asked for, a subset). Failed secrets are limited as failed logins are (config
    LOGIN_LIMITS): past a limit, a 429 problem with Retry-After, whatever the secret."""
    form = _form()
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError(400, "invalid_request", "grant_type is required.")
    if grant_type != CLIENT_CREDENTIALS:
        raise OAuthError(400, "unsupported_grant_type", f"Only {CLIENT_CREDENTIALS} is supported here.")
    client_id, secret, by_basic = client_credentials(form)
    if not client_id or not secret:
        raise OAuthError(401, "invalid_client", "Client credentials are required.", basic_challenge=by_basic)
    try:
        issued = services().users.issue_client_token(client_id, secret, form.get("scope"))
    except Unauthenticated as exc:
        raise OAuthError(401, "invalid_client", str(exc), basic_challenge=by_basic) from exc
    except Invalid as exc:
        raise OAuthError(400, "invalid_scope", str(exc)) from exc
    response = jsonify(issued)
    response.headers.update(NO_STORE)
    return response


def _introspect():
    form = _form()
    if not form.get("token"):
        raise OAuthError(400, "invalid_request", "token is required.")
    g.token = bearer_token()  # an admin's or a client's own token may authorize the question
    client_id = client_secret = None
    if g.token is None:
        client_id, client_secret, _ = client_credentials(form)
    try:
        answer = services().users.introspect_token(form["token"], client_id, client_secret)
    except Unauthenticated as exc:
        raise OAuthError(401, "invalid_client", str(exc), basic_challenge=g.token is None) from exc
    response = jsonify(answer)
    response.headers.update(NO_STORE)
    return response


_INTROSPECTION_DOC = {
    # The asker: a client (Basic, or {}: the form), or an admin or a client by its bearer token.
    "security": [*BASIC_AUTH, *BEARER_AUTH, {}],
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["token"],
                    "additionalProperties": {"type": "string"},  # ignored, each once
                    "properties": {
                        "token": {"type": "string", "minLength": 1},
                        "token_type_hint": {"type": "string"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                }
            }
        },
    },
    "responses": {
        "200": {"description": "RFC 7662 §2.2", "content": {"application/json": {"schema": IntrospectionSchema}}},
        "400": _oauth_error("invalid_request"),
        "401": _oauth_error("invalid_client: no client credentials, and no admin's or client's token"),
    },
}


@blp.route("/introspect", methods=["POST"])
@blp.doc(summary="Is this token active? (RFC 7662)", **_INTROSPECTION_DOC)
@errors(blp, 429, 503)
def introspect_token():
    """Whether a token is active now, with its subject, scopes and expiry. The asker
    authenticates as a client (HTTP Basic or form), or with an admin's or a client's token."""
    return _introspect()


@blp.route("/check_token", methods=["POST"])
@blp.doc(summary="The same as /oauth/introspect", **_INTROSPECTION_DOC)
@errors(blp, 429, 503)
def check_token():
    """The same answer as /oauth/introspect, under the name the design this follows uses."""
    return _introspect()
