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
- product_ledger: received = stock + reserved + sold, none negative (received: every unit ever
  put up for sale, see products/models.py);
- product_reserved / product_sold: reserved = units of held reservations, sold = units of
  committed ones;
- orphan_reservations: no held reservation without its order past its expiry (plus grace);
- order_states: every order is finished (delivered, refunded, cancelled unpaid), active
  (confirmed, shipped), or pending_payment with an unexpired reservation (plus grace); a
  cancelled paid order is refunded within grace;
- order_reservations: confirmed/shipped/delivered orders have a committed reservation,
  pending ones a held one, cancelled/refunded ones a released one or none;
- payments: exactly one successful charge per confirmed/shipped/delivered order, none standing
  for an order cancelled before payment, one refund per refunded order;
- invoices: every paid order (paid in orders: confirmed once), and every order charged and refunded
  before orders confirmed it, has exactly one invoice, and no other order has one;
- invoice_totals: an invoice's gross is its order's total, in its currency, and its net plus tax;
- document_numbers: per kind and year, invoice and credit note numbers run 1..n with no gap and no
  duplicate, each written as INV-/CN-<year>-<6 digits>, and the year's counter stands at n;
- credit_notes: every refund of an invoiced order has its credit note, for the amount refunded;
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

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from payments.numbering import CREDIT_NOTE, INVOICE, format_number
from plumbing.migrations import database_urls

DEFAULT_GRACE_SECONDS = 30.0
DEFAULT_LIMIT = 10

# orders/lifecycle.py's statuses, as stored.
PENDING, CONFIRMED, SHIPPED, DELIVERED = "pending_payment", "confirmed", "shipped", "delivered"
CANCELLED, REFUNDED = "cancelled", "refunded"
CHARGED = (CONFIRMED, SHIPPED, DELIVERED)
# payments/models.py's PaymentStatus and products/reservations.py's statuses, as stored.
SUCCEEDED, FAILED, PAYMENT_REFUNDED = "succeeded", "failed", "refunded"
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
            "payments": len(payments["payments"]),
            "invoices": len(payments["invoices"]),
            "credit_notes": len(payments["credit_notes"]),
        },
    )
    report.checks += _product_checks(products)
    report.checks += _order_checks(orders["orders"], products["reservations"], payments["payments"], now, settled)
    report.checks += _invoice_checks(orders["orders"], payments, settled)
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
            text("SELECT id, sku, stock, reserved, sold, received FROM products ORDER BY id")
        ).all()
        data["reservations"] = {
            row.order_id: row
            for row in conn.execute(text("SELECT order_id, status, expires_at, updated_at FROM reservations"))
        }
        data["units"] = {
            (row.product_id, row.status): row.units
            for row in conn.execute(
                text(
                    "SELECT i.product_id, r.status, sum(i.quantity) AS units FROM reservation_items i"
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
    elif service == "payments":
        payments = defaultdict(list)
        for row in conn.execute(
            text("SELECT id, order_id, status, amount, refund_reference, updated_at FROM payments ORDER BY created_at")
        ):
            payments[row.order_id].append(row)
        data["payments"] = payments
        documents = "SELECT id, order_id, number, year, sequence, currency, net_total, tax_total, gross_total"
        data["invoices"] = conn.execute(text(f"{documents} FROM invoices ORDER BY year, sequence")).all()
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
    ledger = Check("product_ledger", "per product: received = stock + reserved + sold, none negative")
    reserved = Check("product_reserved", "per product: reserved = units of held reservations")
    sold = Check("product_sold", "per product: sold = units of committed reservations")
    units = products["units"]
    for p in products["products"]:
        negative = [name for name in ("stock", "reserved", "sold", "received") if getattr(p, name) < 0]
        if negative or p.received != p.stock + p.reserved + p.sold:
            ledger.breaches.append(
                f"{p.id} ({p.sku}): received {p.received}, stock {p.stock} + reserved {p.reserved}"
                f" + sold {p.sold} = {p.stock + p.reserved + p.sold}"
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
        "every order finished, confirmed/shipped, or pending_payment with an unexpired reservation",
    )
    held_by = Check("order_reservations", "each order's reservation matches its status")
    charges = Check("payments", "one successful charge per paid order, none for unpaid cancellations, refunds")
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
        elif order.status not in (CONFIRMED, SHIPPED, DELIVERED, CANCELLED, REFUNDED):
            states.breaches.append(f"{order.id}: unknown status {order.status!r}")

        if in_flight:
            continue

        # order_reservations
        if order.status == PENDING:
            wanted = (HELD,)
        elif order.status in CHARGED:
            wanted = (COMMITTED,)
        else:  # cancelled, refunded
            wanted = (RELEASED, "none")
        if kept not in wanted:
            held_by.breaches.append(f"{order.id}: {order.status}, reservation {kept}")

        # payments
        by_status = defaultdict(int)
        for payment in order_payments:
            by_status[payment.status] += 1
        listed = ", ".join(f"{count} {status}" for status, count in sorted(by_status.items())) or "none"
        if order.status in CHARGED and (by_status[SUCCEEDED] != 1 or len(order_payments) != 1):
            charges.breaches.append(f"{order.id}: {order.status}, payments: {listed}")
        elif order.status == CANCELLED and not order.paid and by_status[SUCCEEDED]:
            charges.breaches.append(f"{order.id}: cancelled before payment, payments: {listed}")
        elif order.status == REFUNDED and (by_status[PAYMENT_REFUNDED] != 1 or len(order_payments) != 1):
            charges.breaches.append(f"{order.id}: refunded, payments: {listed}")
        elif order.status == PENDING and by_status[SUCCEEDED]:
            charges.breaches.append(f"{order.id}: pending_payment although charged, payments: {listed}")

    for order_id, reservation in reservations.items():
        if reservation.status == HELD and order_id not in known and reservation.expires_at < settled:
            orphans.breaches.append(f"{order_id}: held, no order, expired {reservation.expires_at.isoformat()}")
    return [states, held_by, charges, orphans]


def _invoice_checks(orders, payments: dict, settled: datetime) -> list[Check]:
    invoiced = Check("invoices", "every paid (or refunded) order has exactly one invoice, no other order has one")
    totals = Check("invoice_totals", "each invoice's gross = its order's total (currency too) = net + tax")
    numbers = Check("document_numbers", "per kind and year: numbers 1..n, no gap or duplicate, counter at n")
    credited = Check("credit_notes", "every refund of an invoiced order has its credit note, for the refund")

    invoices_of = defaultdict(list)
    for invoice in payments["invoices"]:
        invoices_of[invoice.order_id].append(invoice)
    known = {}
    for order in orders:
        known[order.id] = order
        if order.updated_at > settled:  # a confirmation or cancellation may be on its way
            continue
        found = invoices_of.get(order.id, [])
        # An invoice comes with the charge: an order cancelled while its charge was on its way is
        # invoiced, then refunded and credited (credit_notes below).
        charged = order.paid or any(p.status == PAYMENT_REFUNDED for p in payments["payments"].get(order.id, ()))
        if charged and len(found) != 1:
            invoiced.breaches.append(f"{order.id}: paid ({order.status}), {len(found)} invoices")
        elif not charged and found:
            invoiced.breaches.append(f"{order.id}: not paid ({order.status}), invoiced as {found[0].number}")
    for invoice in payments["invoices"]:
        order = known.get(invoice.order_id)  # an order deleted since (finished) has nothing to compare
        if invoice.net_total + invoice.tax_total != invoice.gross_total:
            totals.breaches.append(f"{invoice.number}: net {invoice.net_total} + tax {invoice.tax_total}"
                                   f" != gross {invoice.gross_total}")
        elif order is not None and (order.total, order.currency) != (invoice.gross_total, invoice.currency):
            totals.breaches.append(f"{invoice.number}: {invoice.gross_total} {invoice.currency}, order"
                                   f" {order.id} {order.total} {order.currency}")

    for kind, documents in ((INVOICE, payments["invoices"]), (CREDIT_NOTE, payments["credit_notes"])):
        numbers.breaches += _numbering_breaches(kind, documents, payments["counters"])

    by_invoice = {invoice.id: invoice for invoice in payments["invoices"]}
    notes_of = defaultdict(list)
    for note in payments["credit_notes"]:
        notes_of[note.refund_reference].append(note)
        if note.invoice_id not in by_invoice or by_invoice[note.invoice_id].order_id != note.order_id:
            credited.breaches.append(f"{note.number}: credits no invoice of order {note.order_id}")
    for order_id, order_payments in payments["payments"].items():
        for payment in order_payments:
            if payment.status != PAYMENT_REFUNDED or payment.updated_at > settled or not invoices_of.get(order_id):
                continue
            notes = notes_of.get(payment.refund_reference, [])
            if len(notes) != 1 or notes[0].gross_total != payment.amount:
                listed = ", ".join(f"{n.number} ({n.gross_total})" for n in notes) or "none"
                credited.breaches.append(f"{order_id}: refunded {payment.amount}, credit notes: {listed}")
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
