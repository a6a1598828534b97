"""Fixed-window rate limits kept in Redis, shared by every gateway process.

Without Redis, limits are not enforced (fail open, logged): refusing every request
because the limiter's store is down would turn a cache outage into a full outage."""

import hashlib
import logging
import re
import time
from dataclasses import dataclass

import redis

from plumbing.redis_users import grant

log = logging.getLogger(__name__)

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
KEY_PREFIX = "oms:gateway:ratelimit:"
# A counter is INCR (INCRBY on the wire) and EXPIRE in one MULTI; a check is a GET.
GRANT = grant(write=[KEY_PREFIX + "*"], commands=["incrby", "expire", "get", "multi", "exec"])
_LIMIT = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(second|minute|hour|day)\s*$")


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def parse_limit(text: str | bool) -> Limit | None:
    """'50/second' -> Limit(50, 1); 'off' -> None (no limit). YAML reads a bare off as False."""
    if text is False or str(text).strip().lower() in ("off", "none", "0", ""):
        return None
    match = _LIMIT.match(str(text))
    if not match:
        raise ValueError(f"not a rate limit: {text!r} (use e.g. '50/second' or 'off')")
    return Limit(int(match.group(1)), PERIODS[match.group(2)])


class RateLimiter:
    def __init__(self, client: redis.Redis, general: Limit | None, failed_logins: Limit | None):
        self.redis = client
        self.general = general
        self.failed_logins = failed_logins

    def hit(self, client_id: str) -> int | None:
        """Count a request; seconds to wait if the client is over the general limit."""
        return self._count("client", client_id, self.general, increment=True)

    def login_blocked(self, email: str) -> int | None:
        """Seconds to wait if this account has had too many failed logins."""
        return self._count("login-failures", _account(email), self.failed_logins, increment=False)

    def login_failed(self, email: str) -> None:
        self._count("login-failures", _account(email), self.failed_logins, increment=True)

    def _count(self, kind: str, subject: str, limit: Limit | None, increment: bool) -> int | None:
        if limit is None:
            return None
        now = time.time()
        window = int(now // limit.seconds)
        key = f"{KEY_PREFIX}{kind}:{subject}:{window}"
        try:
            if increment:
                pipe = self.redis.pipeline()
                pipe.incr(key)
                pipe.expire(key, limit.seconds + 1)
                count = pipe.execute()[0]
                over = count > limit.count
            else:
                over = int(self.redis.get(key) or 0) >= limit.count
        except redis.RedisError as exc:
            log.warning("rate limiter unavailable, not limiting: %s", exc)
            return None
        if not over:
            return None
        return max(1, int((window + 1) * limit.seconds - now + 0.999))


def _account(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
