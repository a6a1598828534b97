"""Fixed-window counters kept in Redis, shared by every process that counts the same thing: the
gateway's request limit per client address (gateway/app.py) and users' limits on failed password
and client-secret checks (users/throttle.py).

Without Redis, limits are not enforced (fail open, logged): refusing every request because the
limiter's store is down would turn a cache outage into a full outage."""

import hashlib
import logging
import re
import time
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
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


def digest(text: str) -> str:
    """A short fixed-length stand-in for a subject in a key (an email, an address): keys stay
    small whatever a caller sends, and hold no personal data."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Counter:
    """One limit on one subject: `key` (without the window), counted per window of `limit`."""

    key: str
    limit: Limit

    def window_key(self, now: float) -> str:
        return f"{self.key}:{int(now // self.limit.seconds)}"

    def wait(self, now: float) -> int:
        """Seconds until this window ends (at least 1): how long a subject over the limit waits."""
        return max(1, int((int(now // self.limit.seconds) + 1) * self.limit.seconds - now + 0.999))


def count(client: redis.Redis, counters: list[Counter], now: float, by: int = 1) -> list[int] | None:
    """Add `by` to each counter's window at `now`, in one round trip: their counts (None without
    Redis). `by=-1` takes back what was counted at the same `now`."""
    try:
        pipe = client.pipeline()
        for counter in counters:
            pipe.incrby(counter.window_key(now), by)
            pipe.expire(counter.window_key(now), counter.limit.seconds + 1)
        return pipe.execute()[::2]
    except redis.RedisError as exc:
        log.warning("rate limiter unavailable, not limiting: %s", exc)
        return None


def over(counters: list[Counter], counts: list[int] | None, now: float) -> int | None:
    """Seconds to wait if any count is over its counter's limit (the longest wait), else None."""
    waits = [counter.wait(now) for counter, seen in zip(counters, counts or (), strict=False)
             if seen > counter.limit.count]
    return max(waits, default=None)


def hit(client: redis.Redis, counter: Counter) -> int | None:
    """Count one event; seconds to wait if that took the subject over the limit, else None."""
    now = time.time()
    return over([counter], count(client, [counter], now), now)
