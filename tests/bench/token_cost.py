"""What checking the caller adds to every RPC, in µs of CPU (issue 10): `CallerHandle.authorize`
for a customer's token, seen before or new, and its parts: the signature and claims check (PyJWT,
Ed25519) and the revocation lookup (one Redis MGET, on this machine's Redis db 13). Under
eventlet's monkey patch, as in a service. A throw-away key pair; nothing of a running system is
touched but two unset Redis keys.

    .venv/bin/python -m tests.bench.token_cost [calls]"""

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from plumbing.callers import CallerHandle  # noqa: E402
from plumbing.redis_store import connect  # noqa: E402
from plumbing.tokens import TokenVerifier, decode_access_token  # noqa: E402
from users.tokens import TokenIssuer, generate_key_pair  # noqa: E402
from wire.access import SIGNED_IN  # noqa: E402

REDIS_URI = "redis://127.0.0.1:6379/13"


def per_call_us(fn, calls: int) -> float:
    """CPU time of this process per call: waiting on Redis is not counted, its work is not ours."""
    started = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - started) / calls * 1e6


def best_and_median(fn, calls: int) -> str:
    runs = sorted(per_call_us(fn, calls) for _ in range(5))
    return f"{runs[0]:.0f} µs (median {runs[2]:.0f})"


def main(calls: int = 5_000) -> None:
    keys = Path(tempfile.mkdtemp(prefix="oms-bench-keys-"))
    auth = {"PRIVATE_KEY_PATH": str(keys / "private.pem"), "PUBLIC_KEY_PATH": str(keys / "public.pem"),
            "ISSUER": "oms-users", "AUDIENCE": "oms-api", "ACCESS_TTL_SECONDS": 900, "REFRESH_TTL_SECONDS": 900,
            "CLIENT_TOKEN_TTL_SECONDS": 900, "OPERATOR_TOKEN_TTL_SECONDS": 900}
    generate_key_pair(auth)
    redis = connect(REDIS_URI)
    token = TokenIssuer(auth, redis).operator_token("user-1", "customer")["access_token"]
    verifier = TokenVerifier(auth, redis)
    print(f"signature and claims:   {best_and_median(lambda: decode_access_token(token, verifier.public_key, 'oms-users', 'oms-api'), calls)}")  # noqa: E501
    print(f"revocation (Redis MGET): {best_and_median(lambda: verifier._revoked({'sid': 's', 'sub': 'user-1'}), calls)}")  # noqa: E501
    print(f"authorize, a token seen before (the usual case): "
          f"{best_and_median(lambda: CallerHandle(verifier, token, None).authorize(SIGNED_IN), calls)}")
    fresh = [TokenIssuer(auth, redis).operator_token(f"user-{n}", "customer")["access_token"] for n in range(calls)]
    tokens = iter(fresh * 5)
    print(f"authorize, a token new to this process: "
          f"{best_and_median(lambda: CallerHandle(verifier, next(tokens), None).authorize(SIGNED_IN), calls)}")
    redis.close()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
