"""Password hashing with bcrypt.

The password is SHA-256'd first so that bcrypt's 72-byte limit never truncates it, and
hashing runs in a real OS thread (eventlet.tpool) so it doesn't stall the service's
other green threads for the ~0.2 s a hash takes."""

import base64
import functools
import hashlib

import bcrypt
from eventlet import tpool


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


def hash_password(password: str, rounds: int = 12) -> str:
    salt = bcrypt.gensalt(rounds)
    return tpool.execute(bcrypt.hashpw, _prehash(password), salt).decode()


def verify_password(password: str, password_hash: str) -> bool:
    return tpool.execute(bcrypt.checkpw, _prehash(password), password_hash.encode())


@functools.cache
def dummy_hash(rounds: int) -> str:
    """Checked against when the email is unknown, so the answer takes as long either way."""
    return hash_password("not-a-password", rounds)
