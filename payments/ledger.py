"""An order's payment ledger, without I/O: what was authorized, captured, refunded and voided.

The service loads a `Ledger` from the order's payment row, asks it to decide (each method
returns a `Change` holding the ledger after it, or raises a domain error), calls the provider,
and persists `change.after` only once the provider said yes. A ledger is immutable, so a
decision the provider refuses leaves nothing to undo.

Every change keeps the three invariants: captured ≤ authorized, refunded ≤ captured,
voided + captured ≤ authorized. What the authorization leaves `open` (authorized − captured −
voided) may be captured or voided; what was captured and not refunded (`refundable`) may be
refunded. The status follows from the amounts (`status_of`), and each change checks its move
in payments/lifecycle.py."""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from contracts.payments import LedgerBreach, PaymentStatus, RefundExceedsCaptured
from payments import lifecycle

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Ledger:
    authorized: Decimal = ZERO
    captured: Decimal = ZERO
    refunded: Decimal = ZERO
    voided: Decimal = ZERO
    status: str | None = None  # None until the authorization was asked
    authorization_expires_at: datetime | None = None
    version: int = 0  # counts the changes: payment events carry it as ledger_version

    @property
    def open(self) -> Decimal:
        """What the authorization still holds: neither captured nor voided."""
        return self.authorized - self.captured - self.voided

    @property
    def refundable(self) -> Decimal:
        return self.captured - self.refunded

    def authorize(self, amount: Decimal, expires_at: datetime) -> "Change":
        """The order's total authorized until `expires_at`."""
        _positive(amount)
        return self._change(amount, authorized=amount, authorization_expires_at=expires_at)

    def decline(self, amount: Decimal) -> "Change":
        """The authorization of `amount` was declined: the payment failed, nothing is held."""
        return self._change(amount, status=PaymentStatus.FAILED)

    def capture(self, amount: Decimal, now: datetime) -> "Change":
        """Capture `amount` of what is open. `reauthorize` is the amount to authorize again
        first (all that is open) when the authorization expired at `now`; None otherwise.
        LedgerBreach beyond what is open."""
        _positive(amount)
        if amount > self.open:
            raise LedgerBreach(
                f"Capturing {amount} exceeds what the authorization leaves open ({self.open}).",
                {"amount": [f"At most {self.open}."]},
            )
        expired = self.authorization_expires_at is not None and now >= self.authorization_expires_at
        return self._change(amount, captured=self.captured + amount, reauthorize=self.open if expired else None)

    def reauthorized(self, expires_at: datetime) -> "Ledger":
        """This ledger with its open amount authorized again until `expires_at` (the amounts
        don't change: the new authorization replaces what the old one still held)."""
        return replace(self, authorization_expires_at=expires_at)

    def void(self, amount: Decimal) -> "Change":
        """Release `amount` of what is open. LedgerBreach beyond it."""
        _positive(amount)
        if amount > self.open:
            raise LedgerBreach(
                f"Voiding {amount} exceeds what the authorization leaves open ({self.open}).",
                {"amount": [f"At most {self.open}."]},
            )
        return self._change(amount, voided=self.voided + amount)

    def refund(self, amount: Decimal) -> "Change":
        """Give back `amount` of what was captured. RefundExceedsCaptured beyond what was
        captured and not refunded yet."""
        _positive(amount)
        if amount > self.refundable:
            raise RefundExceedsCaptured(
                f"Refunding {amount} exceeds what was captured and not yet refunded ({self.refundable}).",
                {"amount": [f"At most {self.refundable}."]},
            )
        return self._change(amount, refunded=self.refunded + amount)

    def _change(self, amount: Decimal, reauthorize: Decimal | None = None, status: str | None = None,
                **amounts) -> "Change":
        after = replace(self, **amounts, version=self.version + 1)
        after = replace(after, status=status or status_of(after))
        lifecycle.check_move(self.status, after.status)
        return Change(before=self, after=after, amount=amount, reauthorize=reauthorize)


@dataclass(frozen=True)
class Change:
    """What one operation changes: the ledger before and after, the operation's amount, and for
    a capture the amount to re-authorize first (None when the authorization still holds)."""

    before: Ledger
    after: Ledger
    amount: Decimal
    reauthorize: Decimal | None = None


def status_of(ledger: Ledger) -> PaymentStatus:
    """The status the amounts say: refunds first, then captures, then voids."""
    if ledger.refunded > 0:
        settled = ledger.refunded == ledger.captured and ledger.open == 0
        return PaymentStatus.REFUNDED if settled else PaymentStatus.PARTIALLY_REFUNDED
    if ledger.captured > 0:
        return PaymentStatus.CAPTURED if ledger.open == 0 else PaymentStatus.PARTIALLY_CAPTURED
    if ledger.authorized > 0 and ledger.voided == ledger.authorized:
        return PaymentStatus.VOIDED
    return PaymentStatus.AUTHORIZED


def _positive(amount: Decimal) -> None:
    if amount <= 0:
        raise LedgerBreach(f"An amount of {amount} moves no money.", {"amount": ["Must be above 0."]})
