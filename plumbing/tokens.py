"""Access tokens: the contract between `users`, which mints them, and the gateway.

EdDSA (Ed25519) JWTs: only the holder of the private key (users) can mint; the gateway
verifies with the public key and accepts no other algorithm. Revocation lives in Redis:
logout revokes a session (`sid`), and deleting a user or changing its role revokes every
token issued to it before that moment."""

import jwt

ALGORITHM = "EdDSA"
TOKEN_TYPE = "Bearer"


def revoked_session_key(sid: str) -> str:
    return f"oms:auth:revoked-session:{sid}"


def user_cutoff_key(user_id: str) -> str:
    """Holds a unix time: access tokens of this user issued before it are void."""
    return f"oms:auth:user-cutoff:{user_id}"


def decode_access_token(token: str, public_key, issuer: str, audience: str) -> dict:
    """Claims of a valid token; raises jwt.InvalidTokenError otherwise."""
    return jwt.decode(
        token,
        public_key,
        algorithms=[ALGORITHM],
        issuer=issuer,
        audience=audience,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "role", "sid"]},
    )


def is_revoked(claims: dict, revoked_session, user_cutoff) -> bool:
    """Given the two Redis values read for these claims, is the token void?"""
    if revoked_session is not None:
        return True
    return user_cutoff is not None and claims["iat"] < float(user_cutoff)
