"""Access tokens: the contract between `users`, which mints them, and everyone who verifies them
(the gateway and every service, for every RPC).

EdDSA (Ed25519) JWTs: only the holder of the private key (users) can mint; a verifier holds the
public key and accepts no other algorithm, and checks `exp`, `iss` and `aud`. Two kinds:
- a user's (login, refresh, operator token): `sub` is the user id, with `role` and `sid`, the
  login session;
- a client's (OAuth2 client credentials): `sub` and `client_id` are the client id, with `scope`,
  space-separated.

Revocation lives in Redis: logout revokes a session (`sid`); deleting a user, changing its role or
password, or revoking a client voids every token issued to that subject before that moment (a
cutoff). A user's own change of its password or email voids its other sessions: the cutoff then
names the one session it keeps, the one that made the change."""

import functools
import logging
import time

import jwt
import redis
from cryptography.hazmat.primitives import serialization

from plumbing.config import project_path
from plumbing.redis_users import grant
from wire.access import CLIENT, ROLES, USER, Actor
from wire.errors import Unauthenticated

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
TOKEN_TYPE = "Bearer"
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "sid"]


def revoked_session_key(sid: str) -> str:
    return f"oms:auth:revoked-session:{sid}"


def user_cutoff_key(user_id: str) -> str:
    """Holds a unix time, and maybe a session id after a space: tokens of this user issued before
    that time are void, but those of that session."""
    return f"oms:auth:user-cutoff:{user_id}"


def client_cutoff_key(client_id: str) -> str:
    """Holds a unix time: access tokens of this client issued before it are void."""
    return f"oms:auth:client-cutoff:{client_id}"


# What checking a token's revocation does: one MGET of its session's and its subject's keys.
VERIFIER_GRANT = grant(read=[revoked_session_key("*"), user_cutoff_key("*"), client_cutoff_key("*")], commands=["mget"])


def decode_access_token(token: str, public_key, issuer: str, audience: str) -> dict:
    """Claims of a well-formed, signed, unexpired token for this audience; raises
    jwt.InvalidTokenError otherwise. Revocation is not checked here."""
    claims = jwt.decode(
        token, public_key, algorithms=[ALGORITHM], issuer=issuer, audience=audience, options={"require": _REQUIRED}
    )
    if "client_id" in claims:
        if claims["client_id"] != claims["sub"] or not isinstance(claims.get("scope"), str):
            raise jwt.InvalidTokenError("a client token needs client_id equal to sub, and a scope")
    elif claims.get("role") not in ROLES:
        raise jwt.InvalidTokenError("a user token needs a known role")
    return claims


def actor_of(claims: dict) -> Actor:
    if "client_id" in claims:
        return Actor(claims["sub"], CLIENT, scopes=frozenset(claims["scope"].split()))
    return Actor(claims["sub"], USER, role=claims["role"])


def cutoff_key(claims: dict) -> str:
    return client_cutoff_key(claims["sub"]) if "client_id" in claims else user_cutoff_key(claims["sub"])


def cutoff_value(at: float, kept_session: str | None = None) -> str:
    return f"{at!r} {kept_session}" if kept_session else repr(at)


def before_cutoff(issued_at: float, sid: str, cutoff) -> bool:
    """Does `cutoff` (a cutoff key's value, or None) void what session `sid` issued at `issued_at`?"""
    if cutoff is None:
        return False
    at, _, kept_session = str(cutoff).partition(" ")
    return issued_at < float(at) and sid != kept_session


def is_revoked(claims: dict, revoked_session, cutoff) -> bool:
    """Given the two Redis values read for these claims, is the token void?"""
    if revoked_session is not None:
        return True
    return before_cutoff(claims["iat"], claims["sid"], cutoff)


def load_public_key(auth_config: dict):
    with open(project_path(auth_config["PUBLIC_KEY_PATH"]), "rb") as pem:
        return serialization.load_pem_public_key(pem.read())


VERIFIED_CACHE_SIZE = 4096  # tokens whose signature and claims checked out, per process


class TokenVerifier:
    """Turns a bearer token into the verified `Actor`, or raises Unauthenticated.

    A token's signature and claims can't change, so a token that verified once is remembered (most
    calls carry a token seen before: a service's client token on every order); its expiry and its
    revocation are checked on every call."""

    def __init__(self, auth_config: dict, redis_client: redis.Redis):
        self.public_key = load_public_key(auth_config)
        self.issuer = auth_config["ISSUER"]
        self.audience = auth_config["AUDIENCE"]
        self.redis = redis_client
        self._decoded = functools.lru_cache(maxsize=VERIFIED_CACHE_SIZE)(self._decode)

    def verify(self, token) -> Actor:
        return actor_of(self.claims(token))

    def claims(self, token) -> dict:
        """The claims of a valid, unrevoked token; Unauthenticated otherwise."""
        if not isinstance(token, str) or not token:
            raise Unauthenticated("An access token is required.")
        try:
            claims = self._decoded(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"The access token is invalid: {exc}.") from exc
        if claims["exp"] <= time.time():  # as PyJWT checks it, for a token remembered from before
            raise Unauthenticated("The access token is invalid: Signature has expired.")
        if self._revoked(claims):
            raise Unauthenticated("The access token has been revoked.")
        return claims

    def _decode(self, token: str) -> dict:
        return decode_access_token(token, self.public_key, self.issuer, self.audience)

    def _revoked(self, claims: dict) -> bool:
        try:
            session, cutoff = self.redis.mget(revoked_session_key(claims["sid"]), cutoff_key(claims))
        except redis.RedisError as exc:
            # Chosen: without Redis a signed, unexpired token is accepted (it lives minutes).
            log.warning("cannot check token revocation: %s", exc)
            return False
        return is_revoked(claims, session, cutoff)
