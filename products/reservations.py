"""Stock reservations for the order saga, in the database (the arithmetic: products/stock.py);
the caller's unit of work commits.

A product's `stock` is what can still be sold. Reserving an order's items moves units from
`stock` to `reserved`; committing the reservation (the order was paid) moves them on to `sold`;
releasing it puts them back into `stock`, from `reserved` (held) or from `sold` (committed: a
paid order cancelled and refunded).

    held ──commit──> committed
      │                 │
      └──release──> released <──release──┘      (held ones are also released by the expiry sweep)

Reserving is an RPC from orders; committing happens when order_confirmed arrives; releasing is an
RPC from orders (a cancelled order) or the expiry sweep (an order that orders doesn't use).

Locking, the same order everywhere so that no two transactions wait on each other in a cycle:
first the reservation row, then its products, `SELECT ... FOR UPDATE` sorted by product id.
Every change to a product row bumps its version (the cache relies on it); the caller stores the
returned products in the cache after its commit.

`reserve` and `commit` run once or twice per order, so they are SQL statements with no ORM
objects (a third of the products service's CPU went to ORM loads and flushes); the rarer release
paths use the ORM."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.orm import Session

from plumbing.errors import Conflict, Invalid, NotFound
from products import stock
from products.models import Product, Reservation

HELD = "held"
COMMITTED = "committed"
RELEASED = "released"

# release_reason
BY_REQUEST = "released"
BY_EXPIRY = "expired"

MAX_ORDER_ID_LENGTH = 64

# The reservation row, claimed first; its currency is set once the products are known, in the
# same transaction. SQL text throughout: SQLAlchemy never caches a compiled INSERT ... ON
# CONFLICT construct (see plumbing/handlers.py).
_CLAIM = text(
    "INSERT INTO reservations (order_id, status, currency, expires_at)"
    " VALUES (:order_id, :status, '', now() + make_interval(secs => :ttl))"
    " ON CONFLICT (order_id) DO NOTHING RETURNING expires_at"
)
# The reservation locked, with its items (one row per item, in order).
_LOCK_RESERVATION = text(
    "SELECT r.order_id, r.status, r.currency, r.expires_at, r.release_reason,"
    " i.product_id, i.sku, i.name, i.unit_price, i.quantity"
    " FROM reservations r LEFT JOIN reservation_items i ON i.order_id = r.order_id"
    " WHERE r.order_id = :order_id ORDER BY i.position FOR UPDATE OF r"
)
_LOCK_PRODUCTS = text(
    "SELECT id, sku, name, price, currency, stock FROM products WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"
)
# What the cache and the RPC replies need of a changed product.
_CHANGED = (
    "RETURNING p.id, p.sku, p.name, p.description, p.price, p.currency, p.stock, p.version,"
    " p.created_at, p.updated_at"
)
# After _CLAIM and _LOCK_PRODUCTS: units from stock to reserved, the items with their price
# snapshot, and the reservation's currency, in one round trip.
_TAKE = text(
    "WITH items AS (INSERT INTO reservation_items (order_id, position, product_id, sku, name, unit_price, quantity)"
    " SELECT :order_id, item.n - 1, item.product_id, item.sku, item.name, item.unit_price, item.quantity"
    " FROM unnest(CAST(:ids AS text[]), CAST(:skus AS text[]), CAST(:names AS text[]),"
    " CAST(:unit_prices AS numeric[]), CAST(:quantities AS integer[]))"
    " WITH ORDINALITY AS item(product_id, sku, name, unit_price, quantity, n)),"
    " currency AS (UPDATE reservations SET currency = :currency WHERE order_id = :order_id)"
    " UPDATE products p SET stock = p.stock - w.quantity, reserved = p.reserved + w.quantity,"
    " version = p.version + 1, updated_at = now()"
    " FROM unnest(CAST(:ids AS text[]), CAST(:quantities AS integer[])) AS w(id, quantity)"
    " WHERE p.id = w.id " + _CHANGED
)
# After _LOCK_RESERVATION: the products locked in id order (the materialised CTE is read in its
# order, and only rows it locked are updated), units from reserved to sold, the reservation
# committed, in one round trip.
_SELL = text(
    "WITH locked AS MATERIALIZED (SELECT id FROM products WHERE id = ANY(:ids) ORDER BY id FOR UPDATE),"
    " committed AS (UPDATE reservations SET status = :status, updated_at = now() WHERE order_id = :order_id)"
    " UPDATE products p SET reserved = p.reserved - w.quantity, sold = p.sold + w.quantity,"
    " version = p.version + 1, updated_at = now()"
    " FROM locked JOIN unnest(CAST(:ids AS text[]), CAST(:quantities AS integer[])) AS w(id, quantity)"
    " ON w.id = locked.id WHERE p.id = locked.id " + _CHANGED
)


@dataclass
class Outcome:
    """A reservation after an operation (a Reservation, or a dict of the same fields), and the
    products whose counters that operation changed, as rows or Products (empty when nothing
    changed: an idempotent repeat)."""

    reservation: Reservation | dict
    products: list = field(default_factory=list)


def reserve(session: Session, order_id: str, items: list[dict], ttl_seconds: int) -> Outcome:
    """Hold `items` ([{product_id, quantity}], product ids unique) for `order_id`: all or none.

    Idempotent: if the order already has a reservation with the same items, it is returned as it
    is and nothing more is reserved. Two identical calls racing are serialised by the primary key
    on order_id (the second insert waits for the first transaction, then finds its row).
    Conflict if the order already has a reservation with other items, or one that was released.
    Invalid for unknown products or items in more than one currency; Conflict naming every
    item short of stock."""
    expires_at = session.execute(_CLAIM, {"order_id": order_id, "status": HELD, "ttl": ttl_seconds}).scalar()
    if expires_at is None:
        return Outcome(_existing_reservation(session, order_id, items))

    wanted = {item["product_id"]: item["quantity"] for item in items}
    ids = sorted(product_id for product_id in wanted if len(product_id) <= 36)
    products = {row.id: row for row in session.execute(_LOCK_PRODUCTS, {"ids": ids})}
    unknown = [product_id for product_id in wanted if product_id not in products]
    if unknown:
        raise Invalid(f"Unknown products: {', '.join(unknown)}.", {"items": {"unknown": unknown}})
    currencies = sorted({product.currency for product in products.values()})
    if len(currencies) > 1:
        raise Invalid(
            f"All items of an order must share one currency; these are in {', '.join(currencies)}.",
            {"items": {"currency": [f"Mixed currencies: {', '.join(currencies)}."]}},
        )
    short = [
        {"product_id": product.id, "sku": product.sku, "requested": wanted[product.id], "available": product.stock}
        for product in (products[product_id] for product_id in wanted)
        if stock.shortfall(product.stock, wanted[product.id])
    ]
    if short:
        names = "; ".join(f"{s['sku']} (requested {s['requested']}, available {s['available']})" for s in short)
        raise Conflict(f"Not enough stock for {names}.", {"items": {"short": short}})

    reserved_items = [
        {
            "product_id": product_id,
            "sku": products[product_id].sku,
            "name": products[product_id].name,
            "unit_price": products[product_id].price,
            "quantity": quantity,
        }
        for product_id, quantity in wanted.items()
    ]
    changed = session.execute(
        _TAKE,
        {
            "order_id": order_id,
            "currency": currencies[0],
            "ids": list(wanted),
            "skus": [item["sku"] for item in reserved_items],
            "names": [item["name"] for item in reserved_items],
            "unit_prices": [item["unit_price"] for item in reserved_items],
            "quantities": list(wanted.values()),
        },
    ).all()
    reservation = {
        "order_id": order_id,
        "status": HELD,
        "expires_at": expires_at,
        "currency": currencies[0],
        "items": reserved_items,
    }
    return Outcome(reservation, sorted(changed, key=lambda row: row.id))


def get_reservation(session: Session, order_id, lock: bool = False) -> Reservation | None:
    if not isinstance(order_id, str) or not order_id or len(order_id) > MAX_ORDER_ID_LENGTH:
        return None
    return session.get(Reservation, order_id, with_for_update=lock, populate_existing=lock)


def commit(session: Session, order_id) -> Outcome:
    """held → committed: the reserved units are sold. Committing a committed reservation changes
    nothing. Conflict if it was released (by a cancellation, or by the expiry sweep); NotFound if
    there is none. A held reservation past its expiry that the sweep has not released yet can
    still be committed: the sweep's grace period is there for late payments."""
    if not isinstance(order_id, str) or not order_id or len(order_id) > MAX_ORDER_ID_LENGTH:
        raise NotFound("No reservation for this order.")
    rows = session.execute(_LOCK_RESERVATION, {"order_id": order_id}).all()
    if not rows:
        raise NotFound("No reservation for this order.")
    found = rows[0]
    if found.status == RELEASED:
        raise Conflict(
            f"The reservation for this order was already released ({found.release_reason}).",
            {"status": [found.status]},
        )
    items = [{key: getattr(row, key) for key in _ITEM_FIELDS} for row in rows if row.product_id is not None]
    reservation = {key: getattr(found, key) for key in _RESERVATION_FIELDS}
    reservation.update(status=COMMITTED, items=items)
    if found.status == COMMITTED:
        return Outcome(reservation)
    quantities = {item["product_id"]: item["quantity"] for item in items}
    # A product deleted meanwhile took its units with it.
    changed = session.execute(
        _SELL,
        {"order_id": order_id, "status": COMMITTED, "ids": list(quantities), "quantities": list(quantities.values())},
    ).all()
    return Outcome(reservation, sorted(changed, key=lambda row: row.id))


_RESERVATION_FIELDS = ("order_id", "status", "currency", "expires_at", "release_reason")
_ITEM_FIELDS = ("product_id", "sku", "name", "unit_price", "quantity")


def release(session: Session, order_id, reason: str = BY_REQUEST) -> Outcome | None:
    """held or committed → released: the units go back into stock, once. Releasing a released
    reservation changes nothing. None if the order has no reservation."""
    reservation = get_reservation(session, order_id, lock=True)
    if reservation is None:
        return None
    if reservation.status == RELEASED:
        return Outcome(reservation)
    return Outcome(reservation, _release_locked(session, [reservation], reason))


def release_expired(
    session: Session, grace_seconds: float, limit: int, in_use, after: tuple | None = None
) -> tuple[list[Reservation], list[Reservation], list[Product]]:
    """Release held reservations that expired more than `grace_seconds` ago, except those whose
    order is still in use: `in_use(order_ids)` returns that subset (orders answers it). Looks at up
    to `limit` of them, oldest first, after the (expires_at, order_id) `after`. Returns the ones
    looked at, the ones released, and the products changed.

    Rows another transaction holds (another instance's sweep, a commit or release in progress)
    are skipped, so several instances can sweep at once."""
    cutoff = func.now() - timedelta(seconds=grace_seconds)
    query = select(Reservation).where(Reservation.status == HELD, Reservation.expires_at < cutoff)
    if after is not None:
        query = query.where(tuple_(Reservation.expires_at, Reservation.order_id) > tuple_(*after))
    examined = list(
        session.scalars(
            query.order_by(Reservation.expires_at, Reservation.order_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    if not examined:
        return [], [], []
    kept = in_use([reservation.order_id for reservation in examined])
    released = [reservation for reservation in examined if reservation.order_id not in kept]
    if not released:
        return examined, [], []
    return examined, released, _release_locked(session, released, BY_EXPIRY)


def _release_locked(session: Session, reservations: list[Reservation], reason: str) -> list[Product]:
    """Release reservations already locked by the caller and not released yet."""
    products = _lock_products(session, {item.product_id: 0 for r in reservations for item in r.items})
    for reservation in reservations:
        for item in reservation.items:
            product = products.get(item.product_id)
            if product is None:  # deleted meanwhile: nothing to put back
                continue
            units = stock.Units(product.stock, product.reserved, product.sold)
            units = stock.release(units, item.quantity, committed=reservation.status == COMMITTED)
            product.stock, product.reserved, product.sold = units.stock, units.reserved, units.sold
        reservation.status = RELEASED
        reservation.release_reason = reason
    session.flush()
    return list(products.values())


def _lock_products(session: Session, product_ids) -> dict[str, Product]:
    """The products that exist among `product_ids`, locked in id order (no deadlocks between
    transactions locking overlapping sets)."""
    ids = sorted({product_id for product_id in product_ids if len(product_id) <= 36})
    if not ids:
        return {}
    rows = session.scalars(
        select(Product)
        .where(Product.id.in_(ids))
        .order_by(Product.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {product.id: product for product in rows}


def _existing_reservation(session: Session, order_id: str, items: list[dict]) -> Reservation:
    reservation = session.get(Reservation, order_id, populate_existing=True)
    held = {item.product_id: item.quantity for item in reservation.items}
    if held != {item["product_id"]: item["quantity"] for item in items}:
        raise Conflict(
            "This order already has a reservation with other items.", {"order_id": ["Already reserved."]}
        )
    if reservation.status == RELEASED:
        raise Conflict(
            f"The reservation for this order was already released ({reservation.release_reason}).",
            {"status": [reservation.status]},
        )
    return reservation
