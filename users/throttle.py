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
the secret is checked. Fixed windows in Redis (plumbing.ratelimit); without Redis nothing is
limited (logged), as logins then still work."""

from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from plumbing.callers import CallerHandle
from plumbing.errors import TooManyAttempts
from plumbing.ratelimit import Counter, Limit, count, digest, parse_limit, reached
from plumbing.redis_store import connect

# What is checked: a user's password (the account is its email), or a client's secret (its id).
PASSWORD, CLIENT_SECRET = "password", "client-secret"


@dataclass(frozen=True)
class Throttle:
    redis: object
    per_address: Limit | None
    per_account: Limit | None

    def check(self, kind: str, account, caller: CallerHandle) -> None:
        """TooManyAttempts while the caller's failures at `account` (an email, a client id) are
        over a limit; call before checking its secret."""
        wait = reached(self.redis, self._counters(kind, account, caller))
        if wait:
            raise TooManyAttempts(
                f"Too many failed attempts for this {'account' if kind == PASSWORD else 'client'}; "
                f"try again in {wait} s.",
                retry_after=wait,
            )

    def failed(self, kind: str, account, caller: CallerHandle) -> None:
        """Count a failed check of `account`'s secret."""
        count(self.redis, self._counters(kind, account, caller))

    def _counters(self, kind: str, account, caller: CallerHandle) -> list[Counter]:
        subject = f"oms:login-failures:{kind}:{digest(str(account).strip().lower())}"
        counters = []
        if self.per_address is not None:
            counters.append(Counter(f"{subject}:{digest(caller.address)}", self.per_address))
        if self.per_account is not None and caller.from_gateway:
            counters.append(Counter(subject, self.per_account))
        return counters


class LoginThrottle(DependencyProvider):
    """Gives workers the service's Throttle (config LOGIN_LIMITS)."""

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
