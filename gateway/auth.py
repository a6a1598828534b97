"""Bearer tokens on protected routes: verified here (a bad token is a 401 before anything else),
forwarded as they came to the service, which verifies them again and decides for itself."""

import functools

from flask import g, request

from gateway.context import oms
from wire.access import Access, Actor

BEARER_AUTH = [{"bearerAuth": []}]
# An OAuth client's authentication (RFC 6749 §2.3.1) by HTTP Basic. It may send its credentials in
# the form instead, which no OpenAPI scheme names: the OAuth routes add the empty requirement, {}.
BASIC_AUTH = [{"basicAuth": []}]


def access_doc(access: Access) -> dict:
    """The OpenAPI of a route that needs a token: the bearer scheme, and in `x-access` who the
    token must belong to (read by the route tables of README.md and docs/api.md)."""
    return {"security": BEARER_AUTH, "x-access": {"roles": sorted(access.roles), "scopes": sorted(access.scopes)}}


def bearer_token() -> str | None:
    """The request's bearer token, if it sent one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_actor() -> Actor:
    return g.actor


# Place right under @blp.route: a bad token is a 401, and a caller without the role or scope a
# 403, before any validation error.
def requires(access: Access):
    """The route needs a valid bearer token (users or clients) that `access` allows."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            g.token = bearer_token()
            g.actor = oms().tokens.verify(g.token)
            access.check(g.actor)
            return view(*args, **kwargs)

        return wrapper

    return decorate
