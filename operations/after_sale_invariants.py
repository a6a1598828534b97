"""The after-sale invariants (issue 24) that operations/invariants.py checks: an order line's
quantities, a payment's ledger, and "every shipment captured exactly once". Each takes rows as
operations/invariants.py reads them and returns its breaches ("<id>: <what is wrong>")."""

from collections import defaultdict
from datetime import datetime

# orders' shipment statuses that count as captured (contracts/orders.py ShipmentStatus).
CAPTURED_SHIPMENTS = ("shipped", "delivered")
# A legacy order's one charge (payments' migration 0006) is the capture with this reference: it
# has no shipment.
LEGACY_CHARGE = "charge"


def ledger_of(payment) -> str:
    """A payments row's ledger, as a breach shows it."""
    return (f"{payment.status}: authorized {payment.authorized}, captured {payment.captured},"
            f" refunded {payment.refunded}, voided {payment.voided}")


def money_back(payment) -> bool:
    """Nothing of the authorization left open, everything captured refunded."""
    return payment.authorized == payment.captured + payment.voided and payment.captured == payment.refunded


def order_line_breaches(lines) -> list[str]:
    """Per order line (orders' order_items): shipped + cancelled <= ordered, returned <= shipped,
    none negative."""
    breaches = []
    for line in lines:
        shipped, cancelled, returned = line.shipped_quantity, line.cancelled_quantity, line.returned_quantity
        if min(shipped, cancelled, returned) < 0 or shipped + cancelled > line.quantity or returned > shipped:
            breaches.append(
                f"{line.order_id} line {line.position}: ordered {line.quantity}, shipped {shipped},"
                f" cancelled {cancelled}, returned {returned}"
            )
    return breaches


def payment_ledger_breaches(payments: dict) -> list[str]:
    """Per payment ({order_id: [payments rows]}): captured <= authorized, refunded <= captured,
    voided + captured <= authorized, none negative (payments/ledger.py keeps them; the database
    refuses a row that breaks them: a breach here is a constraint gone)."""
    breaches = []
    for order_id, order_payments in payments.items():
        for p in order_payments:
            if (
                min(p.authorized, p.captured, p.refunded, p.voided) < 0
                or p.captured > p.authorized
                or p.refunded > p.captured
                or p.voided + p.captured > p.authorized
            ):
                breaches.append(f"{order_id}: {ledger_of(p)}")
    return breaches


def shipment_capture_breaches(shipments, captures, order_ids: set[str], settled: datetime) -> list[str]:
    """Every shipment shipped or delivered (orders' shipments) has exactly one succeeded capture
    (payments' payment_operations, reference = the shipment's id) for its amount, and every
    succeeded capture but a legacy order's charge has its shipment, shipped, unless its order is
    gone (`order_ids`: the orders that exist; deleting a finished order deletes its shipments,
    payments keeps its captures). A shipment is `capturing` while orders asks payments: a capture
    succeeded for it is judged once both have been still since `settled`."""
    breaches = []
    captures_of = defaultdict(list)
    for capture in captures:
        captures_of[(capture.order_id, capture.reference)].append(capture)
    by_id = {shipment.id: shipment for shipment in shipments}
    for shipment in shipments:
        if shipment.status not in CAPTURED_SHIPMENTS:
            continue
        found = captures_of.get((shipment.order_id, shipment.id), [])
        if len(found) != 1 or found[0].amount != shipment.amount:
            listed = ", ".join(str(capture.amount) for capture in found) or "none"
            breaches.append(
                f"{shipment.order_id} shipment {shipment.id}: {shipment.status}, {shipment.amount},"
                f" captures: {listed}"
            )
    for (order_id, reference), found in captures_of.items():
        shipment = by_id.get(reference)
        if reference == LEGACY_CHARGE or (shipment is not None and shipment.status in CAPTURED_SHIPMENTS):
            continue
        if shipment is None and order_id not in order_ids:
            continue
        if max(capture.at for capture in found) > settled or (shipment is not None and shipment.changed_at > settled):
            continue
        status = shipment.status if shipment is not None else "no such shipment"
        breaches.append(f"{order_id} capture {reference}: {found[0].amount} captured, shipment {status}")
    return breaches
