"""Charging and refunding orders: one charge per order, one refund per paid order.

Both run inside an event handler's transaction and take a per-order advisory lock first, so an
order_created and an order_cancelled for one order, handled at once by two instances, are
applied one after the other: never a charge that a cancellation seen first should have stopped,
never a cancellation that misses a charge made meanwhile. A successful charge issues the order's
invoice in the same transaction, and a refund its credit note (payments/invoicing.py): the
callers pass how."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from contracts.events import PAYMENT_FAILED, PAYMENT_REFUNDED, PAYMENT_SUCCEEDED
from payments import repository
from payments.models import CreditNote, Invoice, Payment, PaymentStatus, new_id
from payments.provider import ChargeResult, PaymentProvider
from plumbing.unit_of_work import UnitOfWork

RESERVATION_EXPIRED = "reservation_expired"
# A charge must leave orders time to confirm before the reservation lapses; closer than this
# to `pay_before`, the order is refused rather than charged and then refunded.
CHARGE_MARGIN = timedelta(seconds=1)


def charge_order(uow: UnitOfWork, provider: PaymentProvider, event: dict,
                 invoice: Callable[[Payment], Invoice | None],
                 credit: Callable[[Payment, str], CreditNote | None]) -> Payment | None:
    """Charge an order_created once; the Payment, or None when the order was already charged or
    already cancelled. `invoice(payment)` issues the invoice of a successful charge, which
    payment_succeeded names.

    The provider is asked only after a charge request is committed (on a connection of its own).
    So a delivery that finds one from an earlier delivery, which died before its commit, asks the
    provider again with the same idempotency key (it answers with the charge it made, never a
    second one) even if the order was cancelled or its reservation lapsed meanwhile. The charge
    is recorded, and refunded at once, with `credit(payment, reason)`, if the order was cancelled:
    the money is never kept, nor left at the provider."""
    session = uow.session
    order_id = event["order_id"]
    repository.lock_order(session, order_id)
    cancelled = None
    if repository.settled(session, order_id):
        if repository.get_payment(session, order_id) is not None or not repository.charge_requested(session, order_id):
            return None
        cancelled = repository.cancellation_reason(session, order_id)
        result = _ask(uow, provider, event)
    elif _too_late(event.get("pay_before")) and not repository.charge_requested(session, order_id):
        result = ChargeResult(False, decline_reason=RESERVATION_EXPIRED)
    else:
        result = _ask(uow, provider, event)
    payment = repository.add_payment(
        session,
        id=new_id(),
        order_id=order_id,
        user_id=event["user_id"],
        status=PaymentStatus.SUCCEEDED if result.succeeded else PaymentStatus.FAILED,
        amount=event["total"],
        currency=event["currency"],
        provider_reference=result.reference,
        failure_reason=result.decline_reason,
    )
    fields = {"order_id": order_id, "user_id": payment.user_id, "payment_id": payment.id,
              "amount": str(payment.amount), "currency": payment.currency}
    if result.succeeded:
        issued = invoice(payment)
        uow.add_event(PAYMENT_SUCCEEDED, **fields, invoice_number=issued.number if issued else None)
        if cancelled is not None:
            _refund(uow, provider, payment, cancelled, credit)
    else:
        uow.add_event(PAYMENT_FAILED, **fields, reason=result.decline_reason)
    return payment


def _ask(uow: UnitOfWork, provider: PaymentProvider, event: dict) -> ChargeResult:
    # Committed before the provider is asked, whatever becomes of this transaction (module doc).
    uow.commit_aside(repository.note_charge_request, event["order_id"])
    return provider.charge(event["payment_token"], event["total"], event["currency"], idempotency_key=event["order_id"])


def _too_late(pay_before: str | None) -> bool:
    return pay_before is not None and datetime.now(UTC) > datetime.fromisoformat(pay_before) - CHARGE_MARGIN


def cancel_order(uow: UnitOfWork, provider: PaymentProvider, event: dict,
                 credit: Callable[[Payment, str], CreditNote | None]) -> Payment | None:
    """Record an order_cancelled; refund the order if it was paid. The refunded Payment or None.

    `credit(payment, reason)`, called once the payment is refunded, in the same transaction,
    issues the refund's credit note, which payment_refunded names."""
    session = uow.session
    order_id = event["order_id"]
    repository.lock_order(session, order_id)
    repository.record_cancellation(session, order_id, event["reason"])
    payment = repository.get_payment(session, order_id)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return None
    _refund(uow, provider, payment, event["reason"], credit)
    return payment


def _refund(uow: UnitOfWork, provider: PaymentProvider, payment: Payment, reason: str,
            credit: Callable[[Payment, str], CreditNote | None]) -> None:
    payment.refund_reference = provider.refund(
        payment.provider_reference, payment.amount, payment.currency, idempotency_key=f"refund:{payment.order_id}"
    )
    payment.status = PaymentStatus.REFUNDED
    credit_note = credit(payment, reason)
    uow.add_event(
        PAYMENT_REFUNDED,
        order_id=payment.order_id,
        user_id=payment.user_id,
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        credit_note_number=credit_note.number if credit_note is not None else None,
    )
