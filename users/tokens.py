"""Minting access JWTs (users, clients, operators) and keeping opaque refresh tokens in Redis.

A refresh token is stored only as its SHA-256; using it deletes it (GETDEL), so a
rotated or revoked token can never be used again, even by two racing requests. Its record (user,
session) carries an HMAC under a key derived from the private key, bound to the record's Redis
key: only users' ACL user may write there, and even a Redis administrator can't plant a token."""

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from contextlib import contextmanager

import jwt
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.extensions import DependencyProvider

from plumbing.config import project_path
from plumbing.production import development_key_marker
from plumbing.redis_store import connect
from plumbing.redis_users import grant
from plumbing.tokens import (
    ALGORITHM,
    TOKEN_TYPE,
    TokenVerifier,
    before_cutoff,
    client_cutoff_key,
    cutoff_value,
    revoked_session_key,
    user_cutoff_key,
)
from wire.errors import Unavailable

log = logging.getLogger(__name__)


REFRESH_KEY_PREFIX = "oms:auth:refresh:"

# Only users writes refresh tokens and revocations, and only users reads refresh tokens.
ISSUER_GRANT = grant(
    write=[REFRESH_KEY_PREFIX + "*", revoked_session_key("*"), user_cutoff_key("*"), client_cutoff_key("*")],
    commands=["get", "getdel", "mget", "set"],
)


def _refresh_key(token: str) -> str:
    return REFRESH_KEY_PREFIX + hashlib.sha256(token.encode()).hexdigest()


class TokenIssuer:
    def __init__(self, auth_config: dict, redis):
        with open(project_path(auth_config["PRIVATE_KEY_PATH"]), "rb") as pem:
            self.private_key = serialization.load_pem_private_key(pem.read(), password=None)
        self.issuer = auth_config["ISSUER"]
        self.audience = auth_config["AUDIENCE"]
        self.access_ttl = int(auth_config["ACCESS_TTL_SECONDS"])
        self.refresh_ttl = int(auth_config["REFRESH_TTL_SECONDS"])
        self.client_ttl = int(auth_config["CLIENT_TOKEN_TTL_SECONDS"])
        self.operator_ttl = int(auth_config["OPERATOR_TOKEN_TTL_SECONDS"])
        self.redis = redis
        self.verifier = TokenVerifier(auth_config, redis)  # for introspection
        self._record_key = hashlib.sha256(b"oms refresh record\0" + self.private_key.private_bytes_raw()).digest()

    def _seal(self, key: str, session: dict) -> str:
        body = json.dumps(session, sort_keys=True, separators=(",", ":"))
        return json.dumps({"session": body, "mac": self._mac(key, body)})

    def _unseal(self, key: str, record: str) -> dict | None:
        """The session of a record this issuer wrote for `key`; None for any other."""
        try:
            sealed = json.loads(record)
            if hmac.compare_digest(sealed["mac"], self._mac(key, sealed["session"])):
                return json.loads(sealed["session"])
        except (ValueError, TypeError, KeyError):
            pass  # not even a sealed record
        log.warning("refusing a refresh token record users did not write")
        return None

    def _mac(self, key: str, body: str) -> str:
        return hmac.new(self._record_key, f"{key}\n{body}".encode(), hashlib.sha256).hexdigest()

    def _mint(self, claims: dict, ttl: int, sid: str | None = None) -> str:
        now = time.time()
        return jwt.encode(
            {
                "iss": self.issuer,
                "aud": self.audience,
                "sid": sid or str(uuid.uuid4()),
                "iat": now,
                "exp": int(now) + ttl,
                "jti": secrets.token_hex(8),
                **claims,
            },
            self.private_key,
            algorithm=ALGORITHM,
        )

    def issue(self, user_id: str, role: str, sid: str | None = None) -> dict:
        """A new token pair; `sid` names the login session that refreshes keep."""
        sid = sid or str(uuid.uuid4())
        now = time.time()
        access = self._mint({"sub": user_id, "role": role}, self.access_ttl, sid)
        refresh = secrets.token_urlsafe(32)
        key = _refresh_key(refresh)
        try:
            self.redis.set(key, self._seal(key, {"user_id": user_id, "sid": sid, "iat": now}), ex=self.refresh_ttl)
        except redis.RedisError as exc:
            # Login still works without the token store: an access token, no refresh token.
            log.warning("refresh token store unavailable, issuing none: %s", exc)
            refresh = None
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": TOKEN_TYPE,
            "expires_in": self.access_ttl,
        }

    def issue_client(self, client_id: str, scopes: list[str]) -> dict:
        """A client-credentials access token (RFC 6749 §4.4.3; no refresh token)."""
        scope = " ".join(scopes)
        access = self._mint({"sub": client_id, "client_id": client_id, "scope": scope}, self.client_ttl)
        return {"access_token": access, "token_type": TOKEN_TYPE, "expires_in": self.client_ttl, "scope": scope}

    def operator_token(self, user_id: str, role: str) -> dict:
        """An access token for an operator's shell, minted with the private key (no login)."""
        access = self._mint({"sub": user_id, "role": role}, self.operator_ttl)
        return {"access_token": access, "token_type": TOKEN_TYPE, "expires_in": self.operator_ttl}

    def consume_refresh(self, refresh_token: str) -> dict | None:
        """{user_id, sid} of a live refresh token, which stops working here; else None.
        Unavailable (503) while the token store can't be reached."""
        key = _refresh_key(refresh_token)
        with _token_store():
            stored = self.redis.getdel(key)
            session = self._unseal(key, stored) if stored else None
            if session is None:
                return None
            cutoff = self.redis.get(user_cutoff_key(session["user_id"]))
        if before_cutoff(session["iat"], session["sid"], cutoff):
            return None
        return session

    def revoke_session(self, sid: str) -> None:
        # Access tokens of the session die with it; the key outlives the longest of them.
        with _token_store():
            self.redis.set(revoked_session_key(sid), 1, ex=self.access_ttl + 60)

    def revoke_user(self, user_id: str, keep_session: str | None = None) -> None:
        """Void every token issued to the user until now (role or credentials change, deletion),
        but those of `keep_session`, if given (the session that changed its own credentials)."""
        ttl = max(self.access_ttl, self.refresh_ttl, self.operator_ttl) + 60
        with _token_store():
            self.redis.set(user_cutoff_key(user_id), cutoff_value(time.time(), keep_session), ex=ttl)

    def revoke_client(self, client_id: str) -> None:
        """Void every token issued to the client until now, in every service at once."""
        with _token_store():
            self.redis.set(client_cutoff_key(client_id), repr(time.time()), ex=self.client_ttl + 60)


@contextmanager
def _token_store():
    try:
        yield
    except redis.RedisError as exc:
        raise Unavailable("The token store is unavailable; try again shortly.") from exc


class Tokens(DependencyProvider):
    """Gives workers the service's TokenIssuer."""

    redis_grant = ISSUER_GRANT

    def setup(self):
        config = self.container.config
        self.redis = connect(config["REDIS_URI"])
        self.issuer = TokenIssuer(config["AUTH"], self.redis)

    def stop(self):
        self.redis.close()

    def get_dependency(self, worker_ctx):
        return self.issuer


def generate_key_pair(auth_config: dict) -> None:
    """Write a new Ed25519 key pair as PEM files unless the private key already exists, marked as
    made for development (production mode refuses it)."""
    private_path = project_path(auth_config["PRIVATE_KEY_PATH"])
    public_path = project_path(auth_config["PUBLIC_KEY_PATH"])
    if private_path.exists():
        return
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private_path.chmod(0o600)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    development_key_marker(auth_config).write_text("This key pair was generated for development.\n")


if __name__ == "__main__":
    from plumbing.config import load_config

    generate_key_pair(load_config()["AUTH"])
