"""The invariants of the order saga, checked across every service's database.

    make check-invariants                                   # or: python -m operations.invariants
    python -m operations.invariants --grace 30 --limit 10 --json
    >>> from operations.invariants import check; check(n.config)      # in `nameko shell`

Exits 0 when every check holds, 1 on any breach (2 when a database can't be read). Each database
is read in one REPEATABLE READ transaction (a consistent snapshot of that service), but the
services are read one after the other while the system may be running: a step of the saga in
flight between two services (e.g. a reservation committed whose order is not confirmed yet) is
not a breach until it is older than `grace` seconds. Checks within one database hold at any
moment and get no grace.

Checks:
- product_ledger: received + restocked = stock + reserved + sold, none negative (received: every
  unit ever put up for sale; restocked: returned units put back on sale, see products/models.py);
- product_reserved / product_sold: reserved = units still held by held reservations, sold = units
  still held by committed ones (a reservation item's quantity less what it gave back);
- orphan_reservations: no held reservation without its order past its expiry (plus grace);
- order_states: every order is finished (delivered, refunded, cancelled unpaid), active
  (confirmed, partially_shipped, shipped), or pending_payment with an unexpired reservation
  (plus grace); a cancelled paid order is refunded within grace;
- order_reservations: confirmed/partially_shipped/shipped/delivered orders have a committed
  reservation, pending ones a held one, cancelled/refunded ones a released one or none;
- order_lines: per order line, shipped + cancelled <= ordered and returned <= shipped, none negative;
- payments: one payment with an authorization per confirmed/partially_shipped/shipped/delivered
  order, none authorized for a pending one; a cancelled-before-payment or refunded order's money
  is back (nothing left open: authorized = captured + voided; captured = refunded);
- payment_ledger: per payment, captured <= authorized, refunded <= captured, voided + captured <=
  authorized, none negative;
- shipment_captures: every shipment shipped or delivered was captured exactly once (one succeeded
  capture operation whose reference is the shipment's id), for its amount, and every succeeded
  capture but a legacy order's charge (reference "charge") has its shipped shipment;
- invoices: per order, invoiced = captured (the gross of its invoices, legacy ones included);
- invoice_totals: an invoice's gross is its net plus tax, and the amount of the capture it was
  issued for (its capture_reference: a shipment's id, or "charge"), in the payment's currency;
- document_numbers: per kind and year, invoice and credit note numbers run 1..n with no gap and no
  duplicate, each written as INV-/CN-<year>-<6 digits>, and the year's counter stands at n;
- credit_notes: per order, credited = refunded (the gross of its credit notes), each credit note
  crediting an invoice of its order;
- charge_requests: no operation asked of the provider (payment_operations) left `requested` for
  longer than grace (a process died between the provider's answer and its commit, and its event
  was not delivered again: a dead letter to replay);
- outbox: no row unsent for longer than grace, in every service with an outbox;
- notifications: no notification recorded twice for one (event, recipient)."""

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from operations import after_sale_invariants as after_sale
from payments.numbering import CREDIT_NOTE, INVOICE, format_number
from plumbing.migrations import database_urls

DEFAULT_GRACE_SECONDS = 30.0
DEFAULT_LIMIT = 10

# orders/lifecycle.py's statuses, as stored.
PENDING, CONFIRMED, PARTIALLY_SHIPPED = "pending_payment", "confirmed", "partially_shipped"
SHIPPED, DELIVERED, CANCELLED, REFUNDED = "shipped", "delivered", "cancelled", "refunded"
# Confirmed once its payment was authorized, and not cancelled since: its authorization stands.
AUTHORIZED_ORDERS = (CONFIRMED, PARTIALLY_SHIPPED, SHIPPED, DELIVERED)
# payment_operations (contracts/payments.py): the succeeded captures.
CAPTURE, SUCCEEDED = "capture", "succeeded"
# products/reservations.py's statuses, as stored.
HELD, COMMITTED, RELEASED = "held", "committed", "released"


@dataclass
class Check:
    name: str
    description: str
    breaches: list[str] = field(default_factory=list)  # "<id>: <what is wrong>", every one found

    @property
    def ok(self) -> bool:
        return not self.breaches


@dataclass
class Report:
    checks: list[Check]
    grace_seconds: float
    limit: int
    checked_at: datetime
    counts: dict[str, int] = field(default_factory=dict)  # what was looked at
    notes: list[str] = field(default_factory=list)  # worth knowing, never a breach

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def breached(self) -> list[str]:
        """Names of the checks that failed."""
        return [check.name for check in self.checks if not check.ok]

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat(),
            "grace_seconds": self.grace_seconds,
            "counts": self.counts,
            "checks": [
                {
                    "name": check.name,
                    "description": check.description,
                    "ok": check.ok,
                    "breaches": len(check.breaches),
                    "examples": check.breaches[: self.limit],
                }
                for check in self.checks
            ],
            "notes": self.notes,
        }

    def __str__(self) -> str:
        counted = ", ".join(f"{count} {what}" for what, count in self.counts.items())
        lines = [f"Invariants at {self.checked_at.isoformat()} (grace {self.grace_seconds:g} s; {counted})"]
        width = max(len(check.name) for check in self.checks)
        for check in self.checks:
            status = "ok" if check.ok else f"BREACH ({len(check.breaches)})"
            lines.append(f"  {check.name:<{width}}  {status:<12}  {check.description}")
            for breach in check.breaches[: self.limit]:
                lines.append(f"      - {breach}")
            if len(check.breaches) > self.limit:
                lines.append(f"      ... and {len(check.breaches) - self.limit} more")
        lines.extend(f"  note: {note}" for note in self.notes)
        lines.append("ALL INVARIANTS HOLD" if self.ok else f"BREACHED: {', '.join(self.breached)}")
        return "\n".join(lines)

    __repr__ = __str__  # `check(n.config)` in nameko shell shows the report


def check(config: dict, grace: float = DEFAULT_GRACE_SECONDS, limit: int = DEFAULT_LIMIT) -> Report:
    """Read every service's database and check the invariants; the report (`.ok`, `.as_dict()`,
    printed as text). Raises SQLAlchemyError if a database can't be read."""
    urls = database_urls(config)
    snapshot = {service: _read(service, url) for service, url in urls.items()}
    now = snapshot["orders"]["now"]
    settled = now - timedelta(seconds=grace)

    products, orders, payments = snapshot["products"], snapshot["orders"], snapshot["payments"]
    report = Report(
        checks=[],
        grace_seconds=grace,
        limit=limit,
        checked_at=now,
        counts={
            "products": len(products["products"]),
            "reservations": len(products["reservations"]),
            "orders": len(orders["orders"]),
            "shipments": len(orders["shipments"]),
            "payments": len(payments["payments"]),
            "invoices": len(payments["invoices"]),
            "credit_notes": len(payments["credit_notes"]),
        },
    )
    report.checks += _product_checks(products)
    report.checks += _order_checks(orders["orders"], products["reservations"], payments["payments"], now, settled)
    report.checks.append(_order_lines_check(orders["lines"]))
    report.checks.append(_payment_ledger_check(payments["payments"]))
    report.checks.append(_shipment_captures_check(orders, payments["captures"], settled))
    report.checks += _invoice_checks(payments, settled)
    report.checks.append(_charge_requests_check(payments, settled))
    report.checks.append(_outbox_check(snapshot, settled))
    report.checks.append(_notifications_check(snapshot["notifications"]))
    for service, data in snapshot.items():
        if data.get("dead_letters"):
            report.notes.append(
                f"{service} holds {data['dead_letters']} dead letter(s): `make dead-letters SERVICE={service}`"
            )
    return report


# --- reading ---------------------------------------------------------------------------------------


def _read(service: str, url: str) -> dict:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            with conn.begin():
                conn.execute(text("SET TRANSACTION READ ONLY"))
                return _read_service(service, conn)
    finally:
        engine.dispose()


def _read_service(service: str, conn: Connection) -> dict:
    tables = set(
        conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
    )
    data: dict = {"now": conn.execute(text("SELECT now()")).scalar_one()}
    if "outbox" in tables:
        data["unsent"] = conn.execute(
            text("SELECT id, event_type, created_at FROM outbox WHERE sent_at IS NULL ORDER BY id")
        ).all()
    if "dead_letters" in tables:
        data["dead_letters"] = conn.execute(
            text("SELECT count(*) FROM dead_letters WHERE discarded_at IS NULL")  # not those set aside
        ).scalar_one()
    if service == "products":
        data["products"] = conn.execute(
            text("SELECT id, sku, stock, reserved, sold, received, restocked FROM products ORDER BY id")
        ).all()
        data["reservations"] = {
            row.order_id: row
            for row in conn.execute(text("SELECT order_id, status, expires_at, updated_at FROM reservations"))
        }
        data["units"] = {
            (row.product_id, row.status): row.units
            for row in conn.execute(
                text(
                    "SELECT i.product_id, r.status, sum(i.quantity - i.released_quantity) AS units"
                    " FROM reservation_items i"
                    " JOIN reservations r ON r.order_id = i.order_id GROUP BY i.product_id, r.status"
                )
            )
        }
    elif service == "orders":
        data["orders"] = conn.execute(
            text(
                "SELECT id, status, paid, total, currency, reservation_expires_at, updated_at FROM orders"
                " ORDER BY created_at, id"
            )
        ).all()
        data["lines"] = conn.execute(
            text(
                "SELECT order_id, position, quantity, shipped_quantity, cancelled_quantity, returned_quantity"
                " FROM order_items ORDER BY order_id, position"
            )
        ).all()
        data["shipments"] = conn.execute(
            text(
                "SELECT id, order_id, status, amount, greatest(created_at, attempted_at, shipped_at) AS changed_at"
                " FROM shipments ORDER BY created_at, id"
            )
        ).all()
    elif service == "payments":
        payments = defaultdict(list)
        for row in conn.execute(
            text(
                "SELECT id, order_id, status, amount, currency, authorized, captured, refunded, voided, updated_at"
                " FROM payments ORDER BY created_at"
            )
        ):
            payments[row.order_id].append(row)
        data["payments"] = payments
        documents = "SELECT id, order_id, number, year, sequence, currency, net_total, tax_total, gross_total"
        data["invoices"] = conn.execute(
            text(f"{documents}, capture_reference FROM invoices ORDER BY year, sequence")
        ).all()
        data["captures"] = conn.execute(
            text(
                "SELECT order_id, reference, amount, at FROM payment_operations"
                f" WHERE type = '{CAPTURE}' AND status = '{SUCCEEDED}' ORDER BY at"
            )
        ).all()
        data["credit_notes"] = conn.execute(
            text(f"{documents}, invoice_id, refund_reference FROM credit_notes ORDER BY year, sequence")
        ).all()
        # Operations asked of the provider and never recorded (payment_operations replaced
        # charge_requests in payments' migration 0006).
        data["charge_requests"] = conn.execute(
            text("SELECT order_id, at AS asked_at FROM payment_operations WHERE status = 'requested' ORDER BY at")
        ).all()
        data["counters"] = {
            (row.kind, row.year): row.last_number
            for row in conn.execute(text("SELECT kind, year, last_number FROM document_counters"))
        }
    elif service == "notifications":
        data["duplicates"] = conn.execute(
            text(
                "SELECT event_id, user_id, count(*) AS copies FROM notifications"
                " GROUP BY event_id, user_id HAVING count(*) > 1 ORDER BY event_id, user_id"
            )
        ).all()
    return data


# --- checks ----------------------------------------------------------------------------------------


def _product_checks(products: dict) -> list[Check]:
    ledger = Check("product_ledger", "per product: received + restocked = stock + reserved + sold, none negative")
    reserved = Check("product_reserved", "per product: reserved = units still held by held reservations")
    sold = Check("product_sold", "per product: sold = units still held by committed reservations")
    units = products["units"]
    for p in products["products"]:
        negative = [name for name in ("stock", "reserved", "sold", "received", "restocked") if getattr(p, name) < 0]
        if negative or p.received + p.restocked != p.stock + p.reserved + p.sold:
            ledger.breaches.append(
                f"{p.id} ({p.sku}): received {p.received} + restocked {p.restocked}, stock {p.stock}"
                f" + reserved {p.reserved} + sold {p.sold} = {p.stock + p.reserved + p.sold}"
                + (f"; negative: {', '.join(negative)}" if negative else "")
            )
        held = units.get((p.id, HELD), 0)
        if p.reserved != held:
            reserved.breaches.append(f"{p.id} ({p.sku}): reserved {p.reserved}, held reservations {held}")
        committed = units.get((p.id, COMMITTED), 0)
        if p.sold != committed:
            sold.breaches.append(f"{p.id} ({p.sku}): sold {p.sold}, committed reservations {committed}")
    return [ledger, reserved, sold]


def _order_checks(orders, reservations: dict, payments: dict, now: datetime, settled: datetime) -> list[Check]:
    states = Check(
        "order_states",
        "every order finished, confirmed/partially_shipped/shipped, or pending_payment with an unexpired reservation",
    )
    held_by = Check("order_reservations", "each order's reservation matches its status")
    charges = Check("payments", "one authorized payment per confirmed order, none for pending ones, money back"
                                " for cancelled and refunded ones")
    orphans = Check("orphan_reservations", "no expired held reservation without its order")

    known = set()
    for order in orders:
        known.add(order.id)
        reservation = reservations.get(order.id)
        kept = reservation.status if reservation is not None else "none"
        order_payments = payments.get(order.id, [])
        # A step of the saga may be in flight between services: judge only orders and payments
        # that have not changed within the grace period.
        in_flight = order.updated_at > settled or any(p.updated_at > settled for p in order_payments)

        # order_states
        if order.status == PENDING:
            expired_for = (now - order.reservation_expires_at).total_seconds()
            if order.reservation_expires_at < settled:
                states.breaches.append(f"{order.id}: pending_payment, reservation expired {expired_for:.0f} s ago")
        elif order.status == CANCELLED and order.paid and order.updated_at < settled:
            states.breaches.append(f"{order.id}: cancelled after payment, never refunded")
        elif order.status not in (*AUTHORIZED_ORDERS, CANCELLED, REFUNDED):
            states.breaches.append(f"{order.id}: unknown status {order.status!r}")

        if in_flight:
            continue

        # order_reservations
        if order.status == PENDING:
            wanted = (HELD,)
        elif order.status in AUTHORIZED_ORDERS:
            wanted = (COMMITTED,)
        else:  # cancelled, refunded
            wanted = (RELEASED, "none")
        if kept not in wanted:
            held_by.breaches.append(f"{order.id}: {order.status}, reservation {kept}")

        # payments
        listed = "; ".join(after_sale.ledger_of(p) for p in order_payments) or "none"
        if order.status in AUTHORIZED_ORDERS:
            if len(order_payments) != 1 or order_payments[0].authorized <= 0:
                charges.breaches.append(f"{order.id}: {order.status}, payments: {listed}")
        elif order.status == PENDING:
            if any(p.authorized > 0 for p in order_payments):
                charges.breaches.append(f"{order.id}: pending_payment although authorized, payments: {listed}")
        elif order.status == REFUNDED or (order.status == CANCELLED and not order.paid):
            # A cancelled paid order is on its way to refunded (order_states judges how long).
            if (order.status == REFUNDED and len(order_payments) != 1) or not all(
                after_sale.money_back(p) for p in order_payments
            ):
                charges.breaches.append(f"{order.id}: {order.status}, money not back, payments: {listed}")

    for order_id, reservation in reservations.items():
        if reservation.status == HELD and order_id not in known and reservation.expires_at < settled:
            orphans.breaches.append(f"{order_id}: held, no order, expired {reservation.expires_at.isoformat()}")
    return [states, held_by, charges, orphans]


def _order_lines_check(lines) -> Check:
    quantities = Check("order_lines", "per order line: shipped + cancelled <= ordered, returned <= shipped")
    quantities.breaches += after_sale.order_line_breaches(lines)
    return quantities


def _payment_ledger_check(payments: dict) -> Check:
    ledger = Check("payment_ledger", "per payment: captured <= authorized, refunded <= captured,"
                                     " voided + captured <= authorized, none negative")
    ledger.breaches += after_sale.payment_ledger_breaches(payments)
    return ledger


def _shipment_captures_check(orders: dict, captures, settled: datetime) -> Check:
    captured = Check("shipment_captures", "every shipped shipment captured exactly once, for its amount;"
                                        " every capture has its shipped shipment")
    existing = {order.id for order in orders["orders"]}
    captured.breaches += after_sale.shipment_capture_breaches(orders["shipments"], captures, existing, settled)
    return captured


def _invoice_checks(payments: dict, settled: datetime) -> list[Check]:
    invoiced = Check("invoices", "per order: invoiced (its invoices' gross) = captured")
    totals = Check("invoice_totals", "each invoice's gross = net + tax = the amount of its capture, in its currency")
    numbers = Check("document_numbers", "per kind and year: numbers 1..n, no gap or duplicate, counter at n")
    credited = Check("credit_notes", "per order: credited (its credit notes' gross) = refunded, each crediting"
                                     " an invoice of its order")

    payment_of = {order_id: rows[0] for order_id, rows in payments["payments"].items()}
    capture_of = {(capture.order_id, capture.reference): capture for capture in payments["captures"]}
    invoices_of, notes_of = defaultdict(list), defaultdict(list)
    for invoice in payments["invoices"]:
        invoices_of[invoice.order_id].append(invoice)
    for note in payments["credit_notes"]:
        notes_of[note.order_id].append(note)

    # A capture and its invoice, a refund and its credit note, are written in one transaction:
    # the grace is only for a payment changing while it is read.
    for order_id in sorted(set(payment_of) | set(invoices_of) | set(notes_of)):
        payment = payment_of.get(order_id)
        if payment is not None and payment.updated_at > settled:
            continue
        captured = payment.captured if payment is not None else Decimal("0.00")
        refunded = payment.refunded if payment is not None else Decimal("0.00")
        invoices, notes = invoices_of.get(order_id, []), notes_of.get(order_id, [])
        gross = sum((invoice.gross_total for invoice in invoices), Decimal("0.00"))
        if gross != captured:
            listed = ", ".join(f"{i.number} ({i.gross_total})" for i in invoices) or "none"
            invoiced.breaches.append(f"{order_id}: captured {captured}, invoices: {listed}")
        credit = sum((note.gross_total for note in notes), Decimal("0.00"))
        if credit != refunded:
            listed = ", ".join(f"{n.number} ({n.gross_total})" for n in notes) or "none"
            credited.breaches.append(f"{order_id}: refunded {refunded}, credit notes: {listed}")

    for invoice in payments["invoices"]:
        payment = payment_of.get(invoice.order_id)
        capture = capture_of.get((invoice.order_id, invoice.capture_reference))
        if invoice.net_total + invoice.tax_total != invoice.gross_total:
            totals.breaches.append(f"{invoice.number}: net {invoice.net_total} + tax {invoice.tax_total}"
                                   f" != gross {invoice.gross_total}")
        elif capture is None or capture.amount != invoice.gross_total:
            found = f"captured {capture.amount}" if capture is not None else "no such capture"
            totals.breaches.append(f"{invoice.number}: {invoice.gross_total} for capture"
                                   f" {invoice.capture_reference} of order {invoice.order_id}, {found}")
        elif payment is not None and payment.currency != invoice.currency:
            totals.breaches.append(f"{invoice.number}: in {invoice.currency}, order {invoice.order_id}'s payment"
                                   f" in {payment.currency}")

    for kind, documents in ((INVOICE, payments["invoices"]), (CREDIT_NOTE, payments["credit_notes"])):
        numbers.breaches += _numbering_breaches(kind, documents, payments["counters"])

    by_invoice = {invoice.id: invoice for invoice in payments["invoices"]}
    for note in payments["credit_notes"]:
        if note.invoice_id not in by_invoice or by_invoice[note.invoice_id].order_id != note.order_id:
            credited.breaches.append(f"{note.number}: credits no invoice of order {note.order_id}")
    return [invoiced, totals, numbers, credited]


def _numbering_breaches(kind, documents, counters: dict) -> list[str]:
    breaches = []
    by_year = defaultdict(list)
    for document in documents:
        by_year[document.year].append(document)
        if document.number != format_number(kind, document.year, document.sequence):
            breaches.append(f"{document.number}: number {document.year}/{document.sequence} written otherwise")
    for year in sorted(set(by_year) | {y for (k, y) in counters if k == kind.name}):
        sequences = sorted(document.sequence for document in by_year.get(year, []))
        counter = counters.get((kind.name, year), 0)
        if sequences != list(range(1, len(sequences) + 1)) or counter != len(sequences):
            missing = sorted(set(range(1, max(sequences + [counter]) + 1)) - set(sequences))
            twice = sorted({n for n in sequences if sequences.count(n) > 1})
            breaches.append(
                f"{kind.prefix}-{year}: {len(sequences)} numbers, counter at {counter}"
                + (f", missing {missing[:5]}" if missing else "") + (f", twice {twice[:5]}" if twice else "")
            )
    return breaches


def _charge_requests_check(payments: dict, settled: datetime) -> Check:
    unrecorded = Check("charge_requests", "no charge asked of the provider left without its payment beyond grace")
    for row in payments["charge_requests"]:
        if row.asked_at < settled:
            unrecorded.breaches.append(f"{row.order_id}: asked at {row.asked_at.isoformat()}, no payment recorded")
    return unrecorded


def _outbox_check(snapshot: dict, settled: datetime) -> Check:
    outbox = Check("outbox", "every outbox row sent (none unsent for longer than grace)")
    for service, data in snapshot.items():
        for row in data.get("unsent", ()):
            if row.created_at < settled:
                outbox.breaches.append(
                    f"{service} outbox {row.id} ({row.event_type}): unsent since {row.created_at.isoformat()}"
                )
    return outbox


def _notifications_check(notifications: dict) -> Check:
    duplicates = Check("notifications", "no notification recorded twice for one event and recipient")
    for row in notifications.get("duplicates", ()):
        duplicates.breaches.append(f"event {row.event_id}, user {row.user_id}: {row.copies} notifications")
    return duplicates


# --- command line ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None, config: dict | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m operations.invariants", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE_SECONDS,
        help="seconds a step in flight between services may take before it is a breach (default %(default)s)",
    )
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help="offending ids shown per check (default %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if config is None:
        from plumbing.config import load_config

        config = load_config()
    try:
        report = check(config, grace=args.grace, limit=args.limit)
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) is not None else exc).strip().splitlines()[0]
        print(f"cannot read the databases: {reason}", file=sys.stderr)
        print("(are they up, and migrated? `python -m plumbing.migrations` applies the migrations)", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), indent=2) if args.json else report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
