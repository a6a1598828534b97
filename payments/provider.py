"""The payment provider interface, and the simulated provider the system ships with.

Every call carries an idempotency key (the order id): a real provider then charges or refunds
once even when we retry after a crash between its answer and our commit."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from nameko.extensions import DependencyProvider

DECLINED = "card_declined"
INSUFFICIENT_FUNDS = "insufficient_funds"


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str | None = None  # the provider's charge id, when it succeeded
    decline_reason: str | None = None


class PaymentProvider(Protocol):
    def charge(self, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult: ...

    def refund(self, charge_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> str:
        """The provider's refund id; raises when the refund could not be made."""
        ...


class SimulatedProvider:
    """Deterministic: `tok_visa` succeeds, `tok_declined` is declined, `tok_insufficient_funds`
    fails above `insufficient_funds_above`, any other token is declined."""

    def __init__(self, insufficient_funds_above: Decimal):
        self.insufficient_funds_above = insufficient_funds_above

    def charge(self, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        if token == "tok_visa":
            return ChargeResult(True, reference=_reference("ch", idempotency_key))
        if token == "tok_insufficient_funds":
            if amount > self.insufficient_funds_above:
                return ChargeResult(False, decline_reason=INSUFFICIENT_FUNDS)
            return ChargeResult(True, reference=_reference("ch", idempotency_key))
        return ChargeResult(False, decline_reason=DECLINED)

    def refund(self, charge_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> str:
        return _reference("re", idempotency_key)


def _reference(kind: str, idempotency_key: str) -> str:
    # The same key gives the same id, as a real provider answers a retried request.
    return f"sim_{kind}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"


class Provider(DependencyProvider):
    """The configured provider (PAYMENTS section of the config); only the simulated one so far."""

    def setup(self):
        settings = self.container.config.get("PAYMENTS") or {}
        self.provider = SimulatedProvider(Decimal(str(settings.get("INSUFFICIENT_FUNDS_ABOVE", "100.00"))))

    def get_dependency(self, worker_ctx) -> PaymentProvider:
        return self.provider
