"""The payment provider interface, and the simulated provider the system ships with.

Four operations, each with partial amounts: authorize (hold an amount on the card), capture
(take some of what is held), void (release some of it), refund (give back some of what was
taken). Every call carries an idempotency key, one per (order, operation, reference)
(`idempotency_key`): a real provider then does each once even when we ask again after a crash
between its answer and our commit, and answers the same.

The simulated provider, deterministic by token:
- `tok_visa`: everything succeeds.
- `tok_declined`: the authorization is declined (`card_declined`); so is any unknown token.
- `tok_insufficient_funds`: an authorization or re-authorization above INSUFFICIENT_FUNDS_ABOVE
  (config PAYMENTS) is declined (`insufficient_funds`); others succeed.
- `tok_capture_fails`: authorizes; every capture fails (`capture_declined`).
- `tok_reauthorization_declined`: authorizes once; any re-authorization is declined
  (`reauthorization_declined`).
An authorization holds for AUTHORIZATION_TTL_SECONDS (config PAYMENTS, env
PAYMENTS_AUTHORIZATION_TTL, 7 days). The simulation keeps no state: what a later capture must
know of the card (that it fails to capture) is written into the authorization's reference, and
every reference is derived from the idempotency key, so asking again answers the same."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from nameko.extensions import DependencyProvider

DECLINED = "card_declined"
INSUFFICIENT_FUNDS = "insufficient_funds"
CAPTURE_DECLINED = "capture_declined"
REAUTHORIZATION_DECLINED = "reauthorization_declined"
DEFAULT_AUTHORIZATION_TTL = 604800  # 7 days

# The marks an authorization's reference carries for its later captures.
_CAPTURE_FAILS_MARK = "nocap"


def idempotency_key(order_id: str, operation: str, reference: str) -> str:
    """The key of one operation: asked twice, the provider does it once."""
    return f"{order_id}:{operation}:{reference}"


@dataclass(frozen=True)
class ProviderResult:
    succeeded: bool
    reference: str | None = None  # the provider's id of what it did, when it succeeded
    decline_reason: str | None = None
    expires_at: datetime | None = None  # an authorization's end


class PaymentProvider(Protocol):
    def authorize(self, token: str, amount: Decimal, currency: str, idempotency_key: str,
                  replaces: str | None = None) -> ProviderResult:
        """Hold `amount`; `replaces` names the expired authorization a re-authorization renews."""
        ...

    def capture(self, authorization: str, amount: Decimal, currency: str, idempotency_key: str) -> ProviderResult: ...

    def void(self, authorization: str, amount: Decimal, currency: str, idempotency_key: str) -> ProviderResult: ...

    def refund(self, authorization: str, amount: Decimal, currency: str, idempotency_key: str) -> ProviderResult: ...


class SimulatedProvider:
    """Deterministic by token (module doc)."""

    def __init__(self, insufficient_funds_above: Decimal, authorization_ttl: timedelta):
        self.insufficient_funds_above = insufficient_funds_above
        self.authorization_ttl = authorization_ttl

    def authorize(self, token: str, amount: Decimal, currency: str, idempotency_key: str,
                  replaces: str | None = None) -> ProviderResult:
        if token == "tok_reauthorization_declined" and replaces is not None:
            return ProviderResult(False, decline_reason=REAUTHORIZATION_DECLINED)
        if token == "tok_insufficient_funds" and amount > self.insufficient_funds_above:
            return ProviderResult(False, decline_reason=INSUFFICIENT_FUNDS)
        if token not in ("tok_visa", "tok_insufficient_funds", "tok_capture_fails", "tok_reauthorization_declined"):
            return ProviderResult(False, decline_reason=DECLINED)
        kind = f"au_{_CAPTURE_FAILS_MARK}" if token == "tok_capture_fails" else "au"
        return ProviderResult(True, reference=_reference(kind, idempotency_key),
                              expires_at=datetime.now(UTC) + self.authorization_ttl)

    def capture(self, authorization: str, amount: Decimal, currency: str, idempotency_key: str) -> ProviderResult:
        if authorization.startswith(f"sim_au_{_CAPTURE_FAILS_MARK}_"):
            return ProviderResult(False, decline_reason=CAPTURE_DECLINED)
        return ProviderResult(True, reference=_reference("ca", idempotency_key))

    def void(self, authorization: str, amount: Decimal, currency: str, idempotency_key: str) -> ProviderResult:
        return ProviderResult(True, reference=_reference("vo", idempotency_key))

    def refund(self, authorization: str, amount: Decimal, currency: str, idempotency_key: str) -> ProviderResult:
        return ProviderResult(True, reference=_reference("re", idempotency_key))


def _reference(kind: str, idempotency_key: str) -> str:
    # The same key gives the same id, as a real provider answers a retried request.
    return f"sim_{kind}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"


class Provider(DependencyProvider):
    """The configured provider (PAYMENTS section of the config); only the simulated one so far."""

    def setup(self):
        settings = self.container.config.get("PAYMENTS") or {}
        self.provider = SimulatedProvider(
            Decimal(str(settings.get("INSUFFICIENT_FUNDS_ABOVE", "100.00"))),
            timedelta(seconds=int(settings.get("AUTHORIZATION_TTL_SECONDS") or DEFAULT_AUTHORIZATION_TTL)),
        )

    def get_dependency(self, worker_ctx) -> PaymentProvider:
        return self.provider
