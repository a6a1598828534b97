"""The users service's operations (contracts.operation)."""

from contracts.operation import Http, Operation, page_of
from contracts.users import (
    LoginSchema,
    OAuthClientCreateSchema,
    OAuthClientSchema,
    OAuthClientWithSecretSchema,
    RefreshTokenSchema,
    RegisterSchema,
    TokenPairSchema,
    UserSchema,
    UserUpdateSchema,
)
from wire.access import ADMIN_ONLY, PUBLIC, SIGNED_IN, USERS_READ, USERS_READ_ALL
from wire.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts, Unauthenticated
from wire.pagination import PageQuerySchema

SERVICE = "users"
AUTH, USERS, CLIENTS = "auth", "users", "clients"

REGISTER = Operation(
    id="registerUser",
    service=SERVICE,
    method="register",
    access=PUBLIC,
    doc="Create a customer account.",
    body=RegisterSchema,
    reply=UserSchema,
    errors=(Conflict, Invalid),
    http=Http("POST", "/auth/register", AUTH, status=201),
)
LOGIN = Operation(
    id="login",
    service=SERVICE,
    method="login",
    access=PUBLIC,
    doc="""Exchange email and password for an access token and a refresh token.

    Failed logins are limited per account and client address, and per account (config
    LOGIN_LIMITS): past a limit the answer is 429 with Retry-After, whatever the password.""",
    body=LoginSchema,
    reply=TokenPairSchema,
    errors=(Unauthenticated, Invalid, TooManyAttempts),
    http=Http("POST", "/auth/login", AUTH),
)
REFRESH = Operation(
    id="refreshTokens",
    service=SERVICE,
    method="refresh",
    access=PUBLIC,
    doc="Rotate a refresh token: returns a new pair; the old refresh token stops working.",
    body=RefreshTokenSchema,
    reply=TokenPairSchema,
    errors=(Unauthenticated,),
    http=Http("POST", "/auth/refresh", AUTH),
)
LOGOUT = Operation(
    id="logout",
    service=SERVICE,
    method="logout",
    access=PUBLIC,
    doc="Revoke the refresh token and the access tokens of its session.",
    body=RefreshTokenSchema,
    http=Http("POST", "/auth/logout", AUTH, status=204),
)
GET_USER = Operation(
    id="readUser",
    service=SERVICE,
    method="get_user",
    access=USERS_READ,
    doc="One account: the user's own, any for an admin or a client with users:read (payments).",
    errors=(NotFound,),
)
# Routes to the same RPC, for users only (no client reads accounts over HTTP).
SHOW_USER = Operation(
    id="getUser",
    service=SERVICE,
    method="get_user",
    access=SIGNED_IN,
    doc="One account: a customer may read only its own.",
    reply=UserSchema,
    errors=(NotFound,),
    http=Http("GET", "/users/<user_id>", USERS),
)
GET_ME = Operation(
    id="getCurrentUser",
    service=SERVICE,
    method="get_user",
    access=SIGNED_IN,
    doc="The account of the token's owner.",
    reply=UserSchema,
    errors=(NotFound,),
    http=Http("GET", "/users/me", USERS),
)
GET_USERS = Operation(
    id="getUsers",
    service=SERVICE,
    method="get_users",
    access=USERS_READ_ALL,
    doc="Several accounts by id (payments, for the buyers of invoices).",
    errors=(Invalid,),
)
LIST_USERS = Operation(
    id="listUsers",
    service=SERVICE,
    method="list_users",
    access=ADMIN_ONLY,
    doc="Every account, oldest first, paginated (admin): {items, page, page_size, total}.",
    query=PageQuerySchema,
    reply=page_of(UserSchema),
    http=Http("GET", "/users", USERS),
)
UPDATE_USER = Operation(
    id="updateUser",
    service=SERVICE,
    method="update_user",
    access=SIGNED_IN,
    doc="""Change email, name or password (self or admin), or role (admin only).

    A new email or password needs `current_password`, the caller's own (an admin changing another
    account gives its own): without it a 422, wrong a 403, each naming `current_password`; wrong
    ones count as failed logins (429 past the limit). It signs the user out everywhere else: the
    user's other sessions are revoked, the caller's own stays valid. A new role voids every token
    of the user. 409 for a taken email, for demoting the last admin, and for demoting or renaming
    the configured admin.""",
    body=UserUpdateSchema,
    reply=UserSchema,
    errors=(NotFound, Conflict, Invalid, Forbidden, TooManyAttempts),
    http=Http("PATCH", "/users/<user_id>", USERS),
)
DELETE_USER = Operation(
    id="deleteUser",
    service=SERVICE,
    method="delete_user",
    access=ADMIN_ONLY,
    doc="""Delete an account and void its tokens (admin). 409 for the last admin and the configured
    one (config ADMIN).""",
    errors=(NotFound, Conflict),
    http=Http("DELETE", "/users/<user_id>", USERS, status=204),
)
CREATE_CLIENT = Operation(
    id="createClient",
    service=SERVICE,
    method="create_client",
    access=ADMIN_ONLY,
    doc="""Register a client with its scopes. The answer holds `client_secret`, stored only as a
    hash: it is never shown again.""",
    body=OAuthClientCreateSchema,
    reply=OAuthClientWithSecretSchema,
    errors=(Conflict, Invalid),
    http=Http("POST", "/clients", CLIENTS, status=201),
)
LIST_CLIENTS = Operation(
    id="listClients",
    service=SERVICE,
    method="list_clients",
    access=ADMIN_ONLY,
    doc="Every client, oldest first, revoked ones included.",
    query=PageQuerySchema,
    reply=page_of(OAuthClientSchema),
    http=Http("GET", "/clients", CLIENTS),
)
GET_CLIENT = Operation(
    id="getClient",
    service=SERVICE,
    method="get_client",
    access=ADMIN_ONLY,
    doc="One client.",
    reply=OAuthClientSchema,
    errors=(NotFound,),
    http=Http("GET", "/clients/<client_id>", CLIENTS),
)
ROTATE_CLIENT_SECRET = Operation(
    id="rotateClientSecret",
    service=SERVICE,
    method="rotate_client_secret",
    access=ADMIN_ONLY,
    doc="""A new secret, shown once; the old one stops working. Tokens already issued live out their
    few minutes: revoke the client to stop them at once. 409 for a revoked client, and for a
    service's own client (`managed`): its secret is set in config and applied at start.""",
    reply=OAuthClientWithSecretSchema,
    errors=(NotFound, Conflict),
    http=Http("POST", "/clients/<client_id>/rotate-secret", CLIENTS),
)
REVOKE_CLIENT = Operation(
    id="revokeClient",
    service=SERVICE,
    method="revoke_client",
    access=ADMIN_ONLY,
    doc="""Revoke the client: no new tokens, and the ones it holds stop working in every service at
    once. Revoking twice changes nothing. 409 for a service's own client (`managed`).""",
    reply=OAuthClientSchema,
    errors=(NotFound, Conflict),
    http=Http("POST", "/clients/<client_id>/revoke", CLIENTS),
)
# The OAuth2 endpoints (gateway/api/oauth.py) take forms and answer as RFC 6749 says: their
# routes are written by hand and call these.
ISSUE_CLIENT_TOKEN = Operation(
    id="issueClientToken",
    service=SERVICE,
    method="issue_client_token",
    access=PUBLIC,
    doc="The client-credentials grant: a short-lived token with the client's scopes.",
    errors=(Unauthenticated, Invalid, TooManyAttempts),
)
INTROSPECT_TOKEN = Operation(
    id="introspectToken",
    service=SERVICE,
    method="introspect_token",
    access=PUBLIC,
    doc="Whether a token is active now (RFC 7662).",
    errors=(Unauthenticated,),
)
