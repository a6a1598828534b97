"""Moving an order's money: authorize, capture, void, refund.

Each step reads top to bottom, in the caller's transaction: take the order's advisory lock (so
an order's steps are applied one after the other, whichever instance runs them), load its
payment, decide with its ledger (payments/ledger.py: pure, raises the domain errors), ask the
provider, record the outcome, emit the payment event carrying the ledger after it.

Every operation is done once per (order, type, reference): its `requested` row is committed on
a connection of its own before the provider is asked (`_ask`), so a later delivery or retry
that finds it (the process died between the provider's answer and the commit) asks again with
the same idempotency key, and the provider answers what it did; one that finds it ended does
nothing, or answers as before."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from contracts.events import PAYMENT_AUTHORIZED, PAYMENT_CAPTURED, PAYMENT_FAILED, PAYMENT_REFUNDED, PAYMENT_VOIDED
from contracts.payments import OperationStatus, OperationType, RefundKind
from payments import repository
from payments.ledger import Ledger
from payments.models import CreditNote, Invoice, Payment, new_id
from payments.provider import PaymentProvider, ProviderResult, idempotency_key
from plumbing.unit_of_work import UnitOfWork
from wire.errors import Invalid, NotFound, Unavailable

RESERVATION_EXPIRED = "reservation_expired"
# An authorization must leave orders time to confirm before the reservation lapses; closer than
# this to `pay_before`, the order is refused rather than authorized and then voided.
AUTHORIZE_MARGIN = timedelta(seconds=1)
WHOLE_ORDER = "order"  # the reference of a cancelled order's void
CANCELLATION = "cancellation"  # the reference of a cancelled legacy order's refund
SUCCEEDED, FAILED = OperationStatus.SUCCEEDED, OperationStatus.FAILED


def authorize_order(uow: UnitOfWork, provider: PaymentProvider, event: dict) -> Payment | None:
    """Authorize an order_created's total once: payment_authorized, or payment_failed (reason
    card_declined, insufficient_funds, reservation_expired). None when the order has its payment
    already, or was cancelled before it had one.

    An authorization asked by an earlier delivery that died before its commit is asked again and
    recorded even past the reservation or after a cancellation, and then voided at once: the
    hold is never left at the provider."""
    session, order_id, total = uow.session, event["order_id"], event["total"]
    repository.lock_order(session, order_id)
    asked = repository.find_operation(session, order_id, OperationType.AUTHORIZE, order_id) is not None
    cancelled = None
    if repository.settled(session, order_id):
        if not asked or repository.get_payment(session, order_id) is not None:
            return None
        cancelled = repository.cancellation_reason(session, order_id)
    if not asked and _too_late(event.get("pay_before")):
        result = ProviderResult(False, decline_reason=RESERVATION_EXPIRED)
    else:
        result = _ask(uow, order_id, OperationType.AUTHORIZE, order_id, total, lambda key: provider.authorize(
            event["payment_token"], total, event["currency"], key))
    change = Ledger().authorize(total, result.expires_at) if result.succeeded else Ledger().decline(total)
    payment = repository.add_payment(session, **_payment_columns(event, change.after, result))
    _record(session, order_id, OperationType.AUTHORIZE, order_id, total, result)
    if not result.succeeded:
        uow.add_event(PAYMENT_FAILED, order_id=order_id, user_id=payment.user_id, payment_id=payment.id,
                      amount=total, currency=payment.currency, reason=result.decline_reason)
        return payment
    uow.add_event(PAYMENT_AUTHORIZED, **_ledger_fields(payment), amount=total)
    if cancelled is not None:
        void(uow, provider, payment, WHOLE_ORDER, total, cancelled)
    return payment


def _too_late(pay_before: str | None) -> bool:
    return pay_before is not None and datetime.now(UTC) > datetime.fromisoformat(pay_before) - AUTHORIZE_MARGIN


def _payment_columns(event: dict, ledger: Ledger, result: ProviderResult) -> dict:
    lines = event.get("lines")
    return {
        "id": new_id(), "order_id": event["order_id"], "user_id": event["user_id"], "status": str(ledger.status),
        "amount": event["total"], "currency": event["currency"], "authorized": ledger.authorized,
        "captured": ledger.captured, "refunded": ledger.refunded, "voided": ledger.voided,
        "ledger_version": ledger.version, "payment_token": event["payment_token"],
        "provider_reference": result.reference, "authorization_expires_at": ledger.authorization_expires_at,
        "failure_reason": result.decline_reason,
        "lines": [{**line, "unit_price": str(line["unit_price"]), "line_total": str(line["line_total"])}
                  for line in lines] if lines is not None else None,
        "shipping_address": event.get("shipping_address"), "address_sequence": event.get("sequence"),
        "placed_at": datetime.fromisoformat(event["placed_at"]) if event.get("placed_at") else None,
    }


def capture_shipment(uow: UnitOfWork, provider: PaymentProvider, order_id: str, shipment_id: str,
                     amount: Decimal, now: datetime,
                     invoice: Callable[[Payment, str | None], Invoice | None]) -> dict:
    """Capture one shipment's amount once: {status captured|failed, reason, invoice_number}.
    Past the authorization's expiry, what is open is re-authorized first; a declined
    re-authorization or capture fails it (nothing taken). `invoice(payment, capture_reference)`
    issues the shipment's invoice. Asked again, it answers the same (Invalid for another
    amount). NotFound for an order without a payment; LedgerBreach beyond what is open."""
    session = uow.session
    repository.lock_order(session, order_id)
    payment = repository.get_payment(session, order_id)
    if payment is None:
        raise NotFound("No payment for this order.")
    done = repository.find_operation(session, order_id, OperationType.CAPTURE, shipment_id)
    if done is not None and done.amount != amount:
        raise Invalid("This shipment was captured for another amount.", {"amount": [f"Was {done.amount}."]})
    if done is not None and done.status != OperationStatus.REQUESTED:
        number = _invoice_number(repository.invoice_of_capture(session, order_id, shipment_id))
        return _capture_reply(done.status == SUCCEEDED, done.failure_reason, number)
    change = repository.ledger_of(payment).capture(amount, now)
    after = change.after
    if change.reauthorize is not None:
        renewed = _ask(uow, order_id, OperationType.REAUTHORIZE, shipment_id, change.reauthorize,
                       lambda key: provider.authorize(payment.payment_token, change.reauthorize, payment.currency, key,
                                                      replaces=payment.provider_reference))
        _record(session, order_id, OperationType.REAUTHORIZE, shipment_id, change.reauthorize, renewed)
        if not renewed.succeeded:
            _record(session, order_id, OperationType.CAPTURE, shipment_id, amount, renewed)
            return _capture_reply(False, renewed.decline_reason, None)
        payment.provider_reference = renewed.reference
        after = after.reauthorized(renewed.expires_at)
    captured = _ask(uow, order_id, OperationType.CAPTURE, shipment_id, amount, lambda key: provider.capture(
        payment.provider_reference, amount, payment.currency, key))
    _record(session, order_id, OperationType.CAPTURE, shipment_id, amount, captured)
    if not captured.succeeded:
        return _capture_reply(False, captured.decline_reason, None)
    repository.save_ledger(payment, after)
    number = _invoice_number(invoice(payment, captured.reference))
    uow.add_event(PAYMENT_CAPTURED, **_ledger_fields(payment), amount=amount, shipment_id=shipment_id,
                  invoice_number=number)
    return _capture_reply(True, None, number)


def _capture_reply(captured: bool, reason: str | None, invoice_number: str | None) -> dict:
    return {"status": "captured" if captured else "failed", "reason": reason, "invoice_number": invoice_number}


def _invoice_number(invoice: Invoice | None) -> str | None:
    return invoice.number if invoice is not None else None


def void_items(uow: UnitOfWork, provider: PaymentProvider, event: dict) -> None:
    """order_items_cancelled: void the cancelled units' amount of the authorization, once per
    cancellation (LedgerBreach beyond what is open: a bug upstream, left as a dead letter)."""
    session, order_id = uow.session, event["order_id"]
    repository.lock_order(session, order_id)
    payment = repository.get_payment(session, order_id)
    if payment is None or _ended(session, order_id, OperationType.VOID, event["cancellation_id"]):
        return
    void(uow, provider, payment, event["cancellation_id"], event["amount"], event["reason"])


def cancel_order(uow: UnitOfWork, provider: PaymentProvider, event: dict,
                 credit: Callable[[Payment, str, str], CreditNote | None]) -> None:
    """order_cancelled: remember it (a later order_created won't authorize), then give the order's
    money back once: void what the authorization leaves open (payment_voided, reference "order",
    even of 0.00 when cancelled units voided it all: orders moves the order to refunded on it),
    and refund what a legacy order had captured (payment_refunded, kind cancellation, with
    the credit note `credit(payment, refund_reference, reason)`)."""
    session, order_id, reason = uow.session, event["order_id"], event["reason"]
    repository.lock_order(session, order_id)
    repository.record_cancellation(session, order_id, reason)
    payment = repository.get_payment(session, order_id)
    if payment is None or payment.authorized == 0:  # not authorized yet, or declined
        return
    ledger = repository.ledger_of(payment)
    if ledger.open > 0 and not _ended(session, order_id, OperationType.VOID, WHOLE_ORDER):
        void(uow, provider, payment, WHOLE_ORDER, ledger.open, reason)
    if ledger.refundable > 0 and not _ended(session, order_id, OperationType.REFUND, CANCELLATION):
        refund(uow, provider, payment, CANCELLATION, ledger.refundable, RefundKind.CANCELLATION, reason,
               lambda reference: credit(payment, reference, reason))
    elif ledger.open == 0 and ledger.refundable == 0 and not _ended(session, order_id, OperationType.VOID,
                                                                    WHOLE_ORDER):
        repository.record_outcome(session, order_id, OperationType.VOID, WHOLE_ORDER, SUCCEEDED, Decimal("0.00"),
                                  reason=reason[:500])
        _voided(uow, payment, WHOLE_ORDER, Decimal("0.00"), reason)


def void(uow: UnitOfWork, provider: PaymentProvider, payment: Payment, reference: str, amount: Decimal,
         reason: str | None) -> None:
    """Release `amount` of the authorization (payment_voided)."""
    change = repository.ledger_of(payment).void(amount)
    result = _ask(uow, payment.order_id, OperationType.VOID, reference, amount, lambda key: provider.void(
        payment.provider_reference, amount, payment.currency, key), reason)
    _record(uow.session, payment.order_id, OperationType.VOID, reference, amount, result)
    if not result.succeeded:
        raise Unavailable(f"The provider refused to void: {result.decline_reason}.")
    repository.save_ledger(payment, change.after)
    _voided(uow, payment, reference, amount, reason)


def _voided(uow: UnitOfWork, payment: Payment, reference: str, amount: Decimal, reason: str | None) -> None:
    uow.add_event(PAYMENT_VOIDED, **_ledger_fields(payment), amount=amount, reference=reference, reason=reason)


def refund_return(uow: UnitOfWork, provider: PaymentProvider, event: dict,
                  credit: Callable[[Payment, str, list], CreditNote | None]) -> None:
    """return_received: refund its refund_amount once (reference the return id), with the
    credit note of the returned lines `credit(payment, refund_reference, items)`."""
    session, order_id, return_id = uow.session, event["order_id"], event["return_id"]
    repository.lock_order(session, order_id)
    payment = repository.get_payment(session, order_id)
    if payment is None or event["refund_amount"] == 0 or _ended(session, order_id, OperationType.REFUND, return_id):
        return
    returned = [item for item in event["items"] if item["quantity"] > 0]
    refund(uow, provider, payment, return_id, event["refund_amount"], RefundKind.RETURN, "return",
           lambda reference: credit(payment, reference, returned))


def refund_goodwill(uow: UnitOfWork, provider: PaymentProvider, order_id: str, amount: Decimal, reason: str,
                    key: str, credit: Callable[[Payment, str], CreditNote | None]) -> Payment:
    """An admin's goodwill refund, once per Idempotency-Key (the same key with another body is
    Invalid). RefundExceedsCaptured beyond what was captured and not refunded."""
    session, reference = uow.session, f"goodwill:{key}"
    repository.lock_order(session, order_id)
    payment = repository.get_payment(session, order_id)
    if payment is None:
        raise NotFound("No payment for this order.")
    done = repository.find_operation(session, order_id, OperationType.REFUND, reference)
    if done is not None and (done.amount != amount or done.reason != reason):
        raise Invalid("This Idempotency-Key was used for another refund.", {"Idempotency-Key": ["Reused."]})
    if done is None or done.status == OperationStatus.REQUESTED:
        refund(uow, provider, payment, reference, amount, RefundKind.GOODWILL, reason,
               lambda refund_reference: credit(payment, refund_reference))
    return payment


def refund(uow: UnitOfWork, provider: PaymentProvider, payment: Payment, reference: str, amount: Decimal,
           kind: RefundKind, reason: str, credit: Callable[[str], CreditNote | None]) -> None:
    """Give back `amount` of what was captured (payment_refunded naming the credit note
    `credit(refund_reference)` issues)."""
    change = repository.ledger_of(payment).refund(amount)
    result = _ask(uow, payment.order_id, OperationType.REFUND, reference, amount, lambda key: provider.refund(
        payment.provider_reference, amount, payment.currency, key), reason)
    _record(uow.session, payment.order_id, OperationType.REFUND, reference, amount, result)
    if not result.succeeded:
        raise Unavailable(f"The provider refused the refund: {result.decline_reason}.")
    repository.save_ledger(payment, change.after)
    note = credit(result.reference)
    uow.add_event(PAYMENT_REFUNDED, **_ledger_fields(payment), amount=amount, kind=str(kind), reference=reference,
                  reason=reason, credit_note_number=note.number if note is not None else None)


def _ask(uow: UnitOfWork, order_id: str, type_: OperationType, reference: str, amount: Decimal,
         call: Callable[[str], ProviderResult], reason: str | None = None) -> ProviderResult:
    # Committed before the provider is asked, whatever becomes of this transaction (module doc).
    uow.commit_aside(repository.note_operation, order_id, str(type_), reference, amount,
                     reason[:500] if reason else None)
    return call(idempotency_key(order_id, str(type_), reference))


def _record(session, order_id: str, type_: OperationType, reference: str, amount: Decimal,
            result: ProviderResult) -> None:
    repository.record_outcome(session, order_id, str(type_), reference, SUCCEEDED if result.succeeded else FAILED,
                              amount, result.reference, result.decline_reason)


def _ended(session, order_id: str, type_: OperationType, reference: str) -> bool:
    """Whether the operation was done (or refused) already: a redelivery does nothing more."""
    done = repository.find_operation(session, order_id, str(type_), reference)
    return done is not None and done.status != OperationStatus.REQUESTED


def _ledger_fields(payment: Payment) -> dict:
    """What every payment event carries: the payment, and its ledger as this change left it."""
    return {"order_id": payment.order_id, "user_id": payment.user_id, "payment_id": payment.id,
            "currency": payment.currency, "status": payment.status, "authorized": payment.authorized,
            "captured": payment.captured, "refunded": payment.refunded, "voided": payment.voided,
            "ledger_version": payment.ledger_version}
