"""Verifying access tokens and roles on protected routes."""

import functools
import logging

import jwt
import redis
from cryptography.hazmat.primitives import serialization
from flask import g, request

from gateway.context import oms
from plumbing.actors import ADMIN
from plumbing.config import project_path
from plumbing.errors import Forbidden, Unauthorized
from plumbing.tokens import decode_access_token, is_revoked, revoked_session_key, user_cutoff_key

log = logging.getLogger(__name__)

BEARER_AUTH = [{"bearerAuth": []}]


class TokenVerifier:
    def __init__(self, auth_config: dict, redis_client):
        with open(project_path(auth_config["PUBLIC_KEY_PATH"]), "rb") as pem:
            self.public_key = serialization.load_pem_public_key(pem.read())
        self.issuer = auth_config["ISSUER"]
        self.audience = auth_config["AUDIENCE"]
        self.redis = redis_client

    def actor(self, authorization: str | None) -> dict:
        """{id, role} of a valid bearer token; Unauthorized otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("A bearer access token is required.")
        try:
            claims = decode_access_token(token.strip(), self.public_key, self.issuer, self.audience)
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"The access token is invalid: {exc}.") from exc
        if self._revoked(claims):
            raise Unauthorized("The access token has been revoked.")
        return {"id": claims["sub"], "role": claims["role"]}

    def _revoked(self, claims: dict) -> bool:
        try:
            session, cutoff = self.redis.mget(
                revoked_session_key(claims["sid"]), user_cutoff_key(claims["sub"])
            )
        except redis.RedisError as exc:
            # Chosen: without Redis a signed, unexpired token is accepted (it lives minutes).
            log.warning("cannot check token revocation: %s", exc)
            return False
        return is_revoked(claims, session, cutoff)


def current_actor() -> dict:
    return g.actor


# Place these right under @blp.route: a bad token is a 401 before any validation error.
def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.actor = oms().tokens.actor(request.headers.get("Authorization"))
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if g.actor["role"] != ADMIN:
            raise Forbidden("This action needs the admin role.")
        return view(*args, **kwargs)

    return login_required(wrapper)
