"""The gateway's request limit per client address, shared by every gateway process (Redis).

Failed logins and client-secret checks are limited by `users` itself (users/throttle.py), whichever
way they come; the gateway tells it the client's address (`client_address`)."""

import redis
from flask import request

from plumbing.ratelimit import Counter, Limit, digest, hit
from plumbing.redis_users import grant

KEY_PREFIX = "oms:gateway:ratelimit:"
# A count is INCRBY and EXPIRE in one MULTI (plumbing.ratelimit).
GRANT = grant(write=[KEY_PREFIX + "*"], commands=["incrby", "expire", "multi", "exec"])


def client_address() -> str:
    """The HTTP client's address, as the gateway limits it and passes it on to users."""
    return request.remote_addr or "unknown"


class RateLimiter:
    def __init__(self, client: redis.Redis, general: Limit | None):
        self.redis = client
        self.general = general

    def hit(self, address: str) -> int | None:
        """Count a request; seconds to wait if the client is over the general limit."""
        if self.general is None:
            return None
        return hit(self.redis, Counter(f"{KEY_PREFIX}client:{digest(address)}", self.general))
