"""Charging and refunding orders: one charge per order, one refund per paid order.

Both run inside an event handler's transaction and take a per-order advisory lock first, so an
order_created and an order_cancelled for one order, handled at once by two instances, are
applied one after the other: never a charge that a cancellation seen first should have stopped,
never a cancellation that misses a charge made meanwhile."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from contracts.events import PAYMENT_FAILED, PAYMENT_REFUNDED, PAYMENT_SUCCEEDED
from payments.models import OrderCancellation, Payment, PaymentStatus, new_id
from payments.provider import ChargeResult, PaymentProvider
from plumbing.unit_of_work import UnitOfWork

RESERVATION_EXPIRED = "reservation_expired"
# A charge must leave orders time to confirm before the reservation lapses; closer than this
# to `pay_before`, the order is refused rather than charged and then refunded.
CHARGE_MARGIN = timedelta(seconds=1)


_LOCK_ORDER = text("SELECT pg_advisory_xact_lock(hashtextextended(:order_id, 0))")
# SQL text, built once: a charge runs for every order.
_SETTLED = text(
    "SELECT EXISTS (SELECT 1 FROM payments WHERE order_id = :order_id)"
    " OR EXISTS (SELECT 1 FROM order_cancellations WHERE order_id = :order_id)"
)
_INSERT_PAYMENT = text(
    "INSERT INTO payments (id, order_id, user_id, status, amount, currency, provider_reference, failure_reason)"
    " VALUES (:id, :order_id, :user_id, :status, :amount, :currency, :provider_reference, :failure_reason)"
)


def lock_order(session: Session, order_id: str) -> None:
    session.execute(_LOCK_ORDER, {"order_id": order_id})


def charge_order(uow: UnitOfWork, provider: PaymentProvider, event: dict) -> dict | None:
    """Charge an order_created once; the payment's columns, or None when the order was already
    charged or already cancelled."""
    session = uow.session
    order_id = event["order_id"]
    lock_order(session, order_id)
    if session.execute(_SETTLED, {"order_id": order_id}).scalar():
        return None
    if _too_late(event.get("pay_before")):
        result = ChargeResult(False, decline_reason=RESERVATION_EXPIRED)
    else:
        result = provider.charge(
            event["payment_token"], event["total"], event["currency"], idempotency_key=order_id
        )
    payment = {
        "id": new_id(),
        "order_id": order_id,
        "user_id": event["user_id"],
        "status": PaymentStatus.SUCCEEDED if result.succeeded else PaymentStatus.FAILED,
        "amount": event["total"],
        "currency": event["currency"],
        "provider_reference": result.reference,
        "failure_reason": result.decline_reason,
    }
    session.execute(_INSERT_PAYMENT, payment)
    if result.succeeded:
        uow.add_event(
            PAYMENT_SUCCEEDED,
            order_id=order_id,
            user_id=payment["user_id"],
            payment_id=payment["id"],
            amount=payment["amount"],
            currency=payment["currency"],
        )
    else:
        uow.add_event(
            PAYMENT_FAILED,
            order_id=order_id,
            user_id=payment["user_id"],
            reason=result.decline_reason,
            payment_id=payment["id"],
            amount=str(payment["amount"]),
            currency=payment["currency"],
        )
    return payment


def _too_late(pay_before: str | None) -> bool:
    return pay_before is not None and datetime.now(UTC) > datetime.fromisoformat(pay_before) - CHARGE_MARGIN


def cancel_order(uow: UnitOfWork, provider: PaymentProvider, event: dict, credit=None) -> Payment | None:
    """Record an order_cancelled; refund the order if it was paid. The refunded payment or None.

    `credit(payment)`, called once the payment is refunded, in the same transaction, may issue the
    refund's credit note: payment_refunded names it (payments/invoicing.py)."""
    session = uow.session
    order_id = event["order_id"]
    lock_order(session, order_id)
    if session.get(OrderCancellation, order_id) is None:
        session.add(OrderCancellation(order_id=order_id, reason=event["reason"]))
    payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return None
    payment.refund_reference = provider.refund(
        payment.provider_reference, payment.amount, payment.currency, idempotency_key=f"refund:{order_id}"
    )
    payment.status = PaymentStatus.REFUNDED
    credit_note = credit(payment) if credit is not None else None
    uow.add_event(
        PAYMENT_REFUNDED,
        order_id=order_id,
        user_id=payment.user_id,
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        credit_note_number=credit_note.number if credit_note is not None else None,
    )
    return payment


def get_payments(session: Session, order_ids: list[str]) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.order_id.in_(order_ids)))) if order_ids else []


def get_payment(session: Session, order_id: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.order_id == order_id))
