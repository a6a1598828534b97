"""Access tokens (plumbing/tokens.py): the two kinds, and revocation by session or per-subject cutoff."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from plumbing.tokens import (
    ALGORITHM,
    actor_of,
    client_cutoff_key,
    cutoff_key,
    cutoff_value,
    decode_access_token,
    is_revoked,
    revoked_session_key,
    user_cutoff_key,
)
from wire.access import CLIENT, USER

CLAIMS = {"sub": "user-1", "sid": "session-1", "iat": 1_700_000_000}


def test_token_with_no_revocation_records_is_valid():
    assert is_revoked(CLAIMS, None, None) is False


def test_token_of_a_revoked_session_is_void():
    assert is_revoked(CLAIMS, "1", None) is True


def test_token_of_a_revoked_session_is_void_whatever_the_cutoff():
    assert is_revoked(CLAIMS, "1", "1600000000") is True


def test_token_issued_before_the_user_cutoff_is_void():
    assert is_revoked(CLAIMS, None, "1700000000.5") is True
    assert is_revoked(CLAIMS, None, str(CLAIMS["iat"] + 60)) is True


def test_token_issued_at_or_after_the_user_cutoff_is_valid():
    assert is_revoked(CLAIMS, None, str(CLAIMS["iat"])) is False
    assert is_revoked(CLAIMS, None, "1699999999.9") is False


def test_a_cutoff_that_keeps_a_session_voids_only_the_users_other_sessions():
    later = CLAIMS["iat"] + 60
    assert is_revoked(CLAIMS, None, cutoff_value(later, kept_session="session-1")) is False
    assert is_revoked({**CLAIMS, "sid": "session-2"}, None, cutoff_value(later, kept_session="session-1")) is True
    assert is_revoked(CLAIMS, None, cutoff_value(later)) is True
    assert is_revoked(CLAIMS, "1", cutoff_value(later, kept_session="session-1")) is True  # logged out


def test_cutoff_may_be_a_number_as_well_as_a_redis_string():
    assert is_revoked(CLAIMS, None, CLAIMS["iat"] + 1) is True
    assert is_revoked(CLAIMS, None, CLAIMS["iat"] - 1) is False


def test_revocation_keys_are_namespaced_per_session_and_user():
    assert revoked_session_key("s1") != revoked_session_key("s2")
    assert user_cutoff_key("u1") != user_cutoff_key("u2")
    assert revoked_session_key("x").startswith("oms:auth:") and user_cutoff_key("x").startswith("oms:auth:")


# --- the two kinds of token -------------------------------------------------------------------



KEY = Ed25519PrivateKey.generate()


def signed(**claims) -> str:
    now = time.time()
    base = {"iss": "oms-users", "aud": "oms-api", "sid": "s-1", "iat": now, "exp": int(now) + 60}
    return jwt.encode({**base, **claims}, KEY, algorithm=ALGORITHM)


def decode(token: str) -> dict:
    return decode_access_token(token, KEY.public_key(), "oms-users", "oms-api")


def test_a_client_token_is_a_client_with_its_scopes():
    claims = decode(signed(sub="cl-1", client_id="cl-1", scope="stock:write orders:read"))
    actor = actor_of(claims)
    assert (actor.id, actor.kind, actor.scopes) == ("cl-1", CLIENT, frozenset({"stock:write", "orders:read"}))
    assert cutoff_key(claims) == client_cutoff_key("cl-1")


def test_a_user_token_is_a_user_with_its_role():
    claims = decode(signed(sub="u-1", role="admin"))
    assert actor_of(claims).kind == USER and actor_of(claims).is_admin
    assert cutoff_key(claims) == user_cutoff_key("u-1")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "cl-1", "client_id": "cl-2", "scope": "stock:write"},  # a client speaking for another
        {"sub": "cl-1", "client_id": "cl-1"},  # no scope
        {"sub": "u-1", "role": "root"},  # a role nobody has
        {"sub": "u-1"},  # neither kind
    ],
)
def test_a_token_of_neither_kind_is_invalid(claims):
    with pytest.raises(jwt.InvalidTokenError):
        decode(signed(**claims))


def test_another_algorithm_is_refused_even_with_the_right_key_material():
    token = jwt.encode({"sub": "u-1", "role": "admin", "iss": "oms-users", "aud": "oms-api", "sid": "s",
                        "iat": time.time(), "exp": int(time.time()) + 60}, "a-shared-secret-of-32-bytes-or-more!",
                       algorithm="HS256")
    with pytest.raises(jwt.InvalidTokenError):
        decode(token)
