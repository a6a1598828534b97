"""Limits on failed password and client-secret checks, kept by `users` itself so that every way
in (HTTP through the gateway, a direct RPC from any broker principal) is limited alike.

Failures are counted per (account, address) and, for attempts the gateway forwarded, per account
too (the slower limit). The address is the HTTP client's for a request the gateway published,
else the broker principal's ("broker:orders", plumbing.callers). A burst from one address so
reaches only its own limit and the owner can still log in from elsewhere, while guesses spread
over many addresses meet the per-account limit. That one counts only the gateway's attempts: a
service's own client (`svc-orders`, asked for from the broker) can't be locked out from the
internet, and there are few principals, each limited by its own pair.

While a limit is reached, an attempt is refused (TooManyAttempts, 429 with Retry-After) before
the secret is checked. An attempt is counted before its check and taken back unless it failed, so
guesses sent at once can't all pass the limit together. Fixed windows in Redis
(plumbing.ratelimit); without Redis nothing is limited (logged), as logins then still work."""

import time
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from nameko.extensions import DependencyProvider

from plumbing.callers import CallerHandle
from plumbing.ratelimit import Counter, Limit, count, digest, over, parse_limit
from plumbing.redis_store import connect
from plumbing.redis_users import grant
from wire.errors import Forbidden, TooManyAttempts, Unauthenticated

# What is checked: a user's password (the account is its email), or a client's secret (its id).
PASSWORD, CLIENT_SECRET = "password", "client-secret"
KEY_PREFIX = "oms:auth:login-failures:"  # users' own keys (plumbing/redis_users.py)
# A count is INCRBY and EXPIRE in one MULTI (plumbing.ratelimit).
GRANT = grant(write=[KEY_PREFIX + "*"], commands=["incrby", "expire", "multi", "exec"])


@dataclass(frozen=True)
class Throttle:
    redis: redis.Redis
    per_address: Limit | None
    per_account: Limit | None

    @contextmanager
    def attempt(self, kind: str, account, caller: CallerHandle):
        """Around one check of `account`'s secret (an email's password, a client id's secret):
        TooManyAttempts at once, the block not run, while the caller is over a limit; the check
        failed when the block raises Unauthenticated or Forbidden."""
        counters, now = self._counters(kind, account, caller), time.time()
        counted = count(self.redis, counters, now)
        wait = over(counters, counted, now)
        failed = False
        try:
            if wait:
                raise TooManyAttempts(
                    f"Too many failed attempts for this {'account' if kind == PASSWORD else 'client'}; "
                    f"try again in {wait} s.",
                    retry_after=wait,
                )
            yield
        except (Unauthenticated, Forbidden):
            failed = True
            raise
        finally:
            if counted is not None and not failed:  # a refused attempt, or a right secret, is no failure
                count(self.redis, counters, now, by=-1)

    def _counters(self, kind: str, account, caller: CallerHandle) -> list[Counter]:
        subject = f"{KEY_PREFIX}{kind}:{digest(str(account).strip().lower())}"
        counters = []
        if self.per_address is not None:
            counters.append(Counter(f"{subject}:{digest(caller.address)}", self.per_address))
        if self.per_account is not None and caller.from_gateway:
            counters.append(Counter(subject, self.per_account))
        return counters


class LoginThrottle(DependencyProvider):
    """Gives workers the service's Throttle (config LOGIN_LIMITS)."""

    redis_grant = GRANT

    def setup(self):
        config = self.container.config
        limits = config["LOGIN_LIMITS"]
        self.redis = connect(config["REDIS_URI"])
        self.throttle = Throttle(
            self.redis, parse_limit(limits["PER_ADDRESS"]), parse_limit(limits["PER_ACCOUNT"])
        )

    def stop(self):
        self.redis.close()

    def get_dependency(self, worker_ctx):
        return self.throttle
