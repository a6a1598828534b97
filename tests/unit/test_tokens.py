"""Token revocation: a revoked session or a per-user cutoff voids an access token."""

from plumbing.tokens import is_revoked, revoked_session_key, user_cutoff_key

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


def test_cutoff_may_be_a_number_as_well_as_a_redis_string():
    assert is_revoked(CLAIMS, None, CLAIMS["iat"] + 1) is True
    assert is_revoked(CLAIMS, None, CLAIMS["iat"] - 1) is False


def test_revocation_keys_are_namespaced_per_session_and_user():
    assert revoked_session_key("s1") != revoked_session_key("s2")
    assert user_cutoff_key("u1") != user_cutoff_key("u2")
    assert revoked_session_key("x").startswith("oms:auth:") and user_cutoff_key("x").startswith("oms:auth:")
