"""Stock reservations for the order saga, in the database (the arithmetic: products/stock.py);
the caller's unit of work commits.

A product's `stock` is what can still be sold. Reserving an order's items moves units from
`stock` to `reserved`; committing the reservation (the order was paid) moves them on to `sold`;
releasing it puts them back into `stock`, from `reserved` (held) or from `sold` (committed: a
paid order cancelled and refunded). Some units of a line can be released alone
(order_items_cancelled): each item counts what it gave back (`released_quantity`), a commit sells
only what is still held, and a later full release gives back only the rest. Returned units put
back on sale (return_received, restock) join `stock` and are counted in `restocked`. The ledger,
per product, at all times: received + restocked = stock + reserved + sold (products/stock.py;
operations/invariants.py checks it).

    held ──commit──> committed
      │                 │
      └──release──> released <──release──┘      (held ones are also released by the expiry sweep)

Reserving is an RPC from orders; committing happens when order_confirmed arrives; releasing is an
RPC from orders (a cancelled order), order_cancelled and order_items_cancelled, or the expiry
sweep (an order that orders doesn't use); restocking happens when return_received arrives.

Locking, the same order everywhere so that no two transactions wait on each other in a cycle:
first the reservation row, then its products, `SELECT ... FOR UPDATE` sorted by product id; a
transaction for several orders (a batch of events) takes all their reservations, then all their
products, first (`lock_for_batch`).
Every change to a product row bumps its version (the cache relies on it); the caller stores the
returned products in the cache after its commit.

Every operation returns the one type of each aggregate: a `Reservation` and the `Product`s it
changed. `reserve` and `commit` run once or twice per order, so each is a few statements built
once from the tables of models.py, their rows loaded as those types (a third of the products
service's CPU went to ORM flushes); the rarer release paths use the ORM. The rules (may this be
reserved, is this a repeat) are products/stock.py's."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import (
    ARRAY,
    Integer,
    Interval,
    Numeric,
    Text,
    any_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from plumbing.sql import compiled_once, unnested
from products import stock
from products.models import Product, Reservation, ReservationItem
from products.stock import COMMITTED, HELD, RELEASED
from wire.errors import NotFound

log = logging.getLogger(__name__)

# release_reason
BY_REQUEST = "released"
BY_EXPIRY = "expired"

MAX_ORDER_ID_LENGTH = 64

_reservations, _items, _products = Reservation.__table__, ReservationItem.__table__, Product.__table__
# A product row as a Product is loaded (search_vector is deferred).
_PRODUCT_COLUMNS = [_products.c[attribute.key] for attribute in Product.__mapper__.column_attrs
                    if not attribute.deferred]
_WANTED = unnested("wanted", {"id": ("ids", Text), "quantity": ("quantities", Integer)})

# The reservation row, claimed first; its currency is set once the products are known, in the
# same transaction. Compiled once: SQLAlchemy never caches an INSERT ... ON CONFLICT.
_CLAIM = compiled_once(
    upsert(_reservations)
    .values(order_id=bindparam("claimed"), status=bindparam("first_status"), currency=literal_column("''"),
            expires_at=func.now() + bindparam("ttl", type_=Interval))
    .on_conflict_do_nothing(index_elements=[_reservations.c.order_id])
    .returning(_reservations.c.expires_at)
)
# The products asked for, locked in id order (no deadlocks between overlapping orders).
_ASKED = _products.c.id == any_(cast(bindparam("ids"), ARRAY(Text)))
# What the reserve rules need of them.
_LOCK_OFFERS = (
    select(_products.c.id, _products.c.sku, _products.c.name, _products.c.price, _products.c.currency,
           _products.c.stock)
    .where(_ASKED)
    .order_by(_products.c.id)
    .with_for_update()
)
_line = unnested("line", {"product_id": ("ids", Text), "sku": ("skus", Text), "name": ("names", Text),
                          "unit_price": ("unit_prices", Numeric), "quantity": ("quantities", Integer)}, "n")
# After _CLAIM and _LOCK_OFFERS: units from stock to reserved, the items with their price
# snapshot, and the reservation's currency, in one round trip.
_TAKE = (
    update(_products)
    .where(_products.c.id == _WANTED.c.id)
    .values(stock=_products.c.stock - _WANTED.c.quantity, reserved=_products.c.reserved + _WANTED.c.quantity,
            version=_products.c.version + 1, updated_at=func.now())
    .returning(*_PRODUCT_COLUMNS)
    .add_cte(
        insert(_items)
        .from_select(
            ["order_id", "position", "product_id", "sku", "name", "unit_price", "quantity"],
            select(bindparam("reserving"), _line.c.n - 1, _line.c.product_id, _line.c.sku, _line.c.name,
                   _line.c.unit_price, _line.c.quantity),
        )
        .cte("items"),
        update(_reservations)
        .where(_reservations.c.order_id == bindparam("reserving"))
        .values(currency=bindparam("reserved_currency"))
        .cte("currency"),
    )
)
# The reservation locked, with its items.
_LOCK_RESERVATION = (
    select(Reservation)
    .outerjoin(Reservation.items)
    .options(contains_eager(Reservation.items))
    .where(Reservation.order_id == bindparam("wanted_order"))
    .order_by(ReservationItem.position)
    .with_for_update(of=Reservation)
    .execution_options(populate_existing=True)
)
# The products locked in id order (the materialised CTE is read in its order, and only rows it
# locked are updated), units from reserved to sold, the reservation committed, in one round trip.
_locked = (
    select(_products.c.id)
    .where(_ASKED)
    .order_by(_products.c.id)
    .with_for_update()
    .cte("locked")
    .prefix_with("MATERIALIZED")
)
_SELL = (
    update(_products)
    .where(_products.c.id == _locked.c.id, _locked.c.id == _WANTED.c.id)
    .values(reserved=_products.c.reserved - _WANTED.c.quantity, sold=_products.c.sold + _WANTED.c.quantity,
            version=_products.c.version + 1, updated_at=func.now())
    .returning(*_PRODUCT_COLUMNS)
    .add_cte(
        update(_reservations)
        .where(_reservations.c.order_id == bindparam("committing"))
        .values(status=bindparam("new_status"), updated_at=func.now())
        .cte("committed")
    )
)


# A batch's reservations, then all their products, each in id order (lock_for_batch).
_BATCH_ORDERS = any_(cast(bindparam("order_ids"), ARRAY(Text)))
_LOCK_RESERVATIONS = (
    select(_reservations.c.order_id)
    .where(_reservations.c.order_id == _BATCH_ORDERS)
    .order_by(_reservations.c.order_id)
    .with_for_update()
)
_LOCK_THEIR_PRODUCTS = (
    select(_products.c.id)
    .where(_products.c.id.in_(select(_items.c.product_id).where(_items.c.order_id == _BATCH_ORDERS)))
    .order_by(_products.c.id)
    .with_for_update()
)


@dataclass
class Outcome:
    """A reservation after an operation, and the products whose counters that operation changed
    (empty when nothing changed: an idempotent repeat)."""

    reservation: Reservation
    products: list[Product] = field(default_factory=list)


def reserve(session: Session, order_id: str, items: list[dict], ttl_seconds: int) -> Outcome:
    """Hold `items` ([{product_id, quantity}], product ids unique) for `order_id`: all or none.

    Idempotent: if the order already has a reservation with the same items, it is returned as it
    is and nothing more is reserved. Two identical calls racing are serialised by the primary key
    on order_id (the second insert waits for the first transaction, then finds its row).
    Conflict if the order already has a reservation with other items, or one that was released.
    Invalid for unknown products or items in more than one currency; Conflict naming every
    item short of stock (products/stock.py).

    The new Reservation is built from what the statements wrote, outside the session: nothing of
    it is flushed or loaded again."""
    wanted = {item["product_id"]: item["quantity"] for item in items}
    claimed = {"claimed": order_id, "first_status": HELD, "ttl": timedelta(seconds=ttl_seconds)}
    expires_at = session.execute(_CLAIM, claimed).scalar()
    if expires_at is None:
        return Outcome(_repeated(session, order_id, wanted))

    ids = sorted(product_id for product_id in wanted if len(product_id) <= 36)
    offers = {row.id: row for row in session.execute(_LOCK_OFFERS, {"ids": ids})}
    currency = stock.check_reservable(wanted, offers)
    reserved = [
        ReservationItem(order_id=order_id, position=position, product_id=product_id, sku=offers[product_id].sku,
                        name=offers[product_id].name, unit_price=offers[product_id].price, quantity=quantity,
                        released_quantity=0)
        for position, (product_id, quantity) in enumerate(wanted.items())
    ]
    changed = session.scalars(
        select(Product).from_statement(_TAKE),
        {
            "reserving": order_id,
            "reserved_currency": currency,
            "ids": list(wanted),
            "skus": [item.sku for item in reserved],
            "names": [item.name for item in reserved],
            "unit_prices": [item.unit_price for item in reserved],
            "quantities": list(wanted.values()),
        },
    ).all()
    reservation = Reservation(order_id=order_id, status=HELD, currency=currency, expires_at=expires_at,
                              items=reserved)
    return Outcome(reservation, sorted(changed, key=lambda product: product.id))


def get_reservation(session: Session, order_id, lock: bool = False) -> Reservation | None:
    if not _valid_order_id(order_id):
        return None
    return session.get(Reservation, order_id, with_for_update=lock, populate_existing=lock)


def commit(session: Session, order_id) -> Outcome:
    """held → committed: the reserved units are sold. Committing a committed reservation changes
    nothing. Conflict if it was released (by a cancellation, or by the expiry sweep); NotFound if
    there is none. A held reservation past its expiry that the sweep has not released yet can
    still be committed: the sweep's grace period is there for late payments."""
    if not _valid_order_id(order_id):
        raise NotFound("No reservation for this order.")
    reservation = session.scalars(_LOCK_RESERVATION, {"wanted_order": order_id}).unique().first()
    if reservation is None:
        raise NotFound("No reservation for this order.")
    stock.check_not_released(reservation.status, reservation.release_reason)
    if reservation.status == COMMITTED:
        return Outcome(reservation)
    # Units of lines cancelled before the order was confirmed (order_items_cancelled handled
    # first) are back in stock already: only what is still held is sold.
    quantities = {item.product_id: item.quantity - item.released_quantity for item in reservation.items
                  if item.quantity > item.released_quantity}
    # A product deleted meanwhile took its units with it.
    changed = session.scalars(
        select(Product).from_statement(_SELL),
        {"committing": order_id, "new_status": COMMITTED, "ids": list(quantities),
         "quantities": list(quantities.values())},
    ).all()
    # The row is written; the Reservation says what it now holds, with nothing left to flush.
    set_committed_value(reservation, "status", COMMITTED)
    return Outcome(reservation, sorted(changed, key=lambda product: product.id))


def lock_for_batch(session: Session, order_ids: list[str]) -> None:
    """Lock the reservations of these orders, then all of their products, each in id order: a
    transaction that commits or releases several reservations takes every lock it needs first.
    Taken order by order (each its reservation, then its products), two such transactions, or one
    and a `reserve`, could each hold a product the other waits for."""
    ids = sorted(order_id for order_id in order_ids if _valid_order_id(order_id))
    session.execute(_LOCK_RESERVATIONS, {"order_ids": ids})
    session.execute(_LOCK_THEIR_PRODUCTS, {"order_ids": ids})


def release(session: Session, order_id, reason: str = BY_REQUEST) -> Outcome | None:
    """held or committed → released: the units go back into stock, once. Releasing a released
    reservation changes nothing. None if the order has no reservation."""
    reservation = get_reservation(session, order_id, lock=True)
    if reservation is None:
        return None
    if reservation.status == RELEASED:
        return Outcome(reservation)
    return Outcome(reservation, _release_locked(session, [reservation], reason))


def release_items(session: Session, order_id, items: dict[str, int]) -> Outcome | None:
    """Some units of an order's lines ({product_id: quantity}) go back into stock, from reserved
    (held) or from sold (committed); each item gives back at most what it still holds, and counts
    what it gave (a later full release gives back only the rest). A released reservation gave
    everything back already: nothing changes. None if the order has no reservation."""
    reservation = get_reservation(session, order_id, lock=True)
    if reservation is None:
        return None
    if reservation.status == RELEASED:
        return Outcome(reservation)
    by_product = {item.product_id: item for item in reservation.items}
    products = _lock_products(session, [product_id for product_id in items if product_id in by_product])
    changed = []
    for product_id, asked in items.items():
        item = by_product.get(product_id)
        given_back = stock.releasable(item.quantity, item.released_quantity, asked) if item else 0
        if given_back < asked:
            log.warning("order %s: %d of %s cancelled, %d still held to give back", order_id, asked, product_id,
                        given_back)
        if not given_back:
            continue
        item.released_quantity += given_back
        product = products.get(product_id)
        if product is not None:  # deleted meanwhile: nothing to put back
            _set_units(product, stock.release(_units(product), given_back, committed=reservation.status == COMMITTED))
            changed.append(product)
    session.flush()
    return Outcome(reservation, sorted(changed, key=lambda product: product.id))


def restock(session: Session, order_id: str, items: dict[str, int]) -> list[Product]:
    """Returned units ({product_id: quantity}) back on sale: into stock, counted in `restocked`.
    The order's reservation (if any) is locked first, as every path does before its products.
    Products deleted since are skipped. The products changed."""
    get_reservation(session, order_id, lock=True)
    products = _lock_products(session, items)
    for product in products.values():
        _set_units(product, stock.restock(_units(product), items[product.id]))
        product.restocked += items[product.id]
    session.flush()
    return list(products.values())


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
            # Units of this line cancelled before (release_items) are back already.
            still_held = item.quantity - item.released_quantity
            item.released_quantity = item.quantity
            product = products.get(item.product_id)
            if product is None or not still_held:  # deleted meanwhile: nothing to put back
                continue
            _set_units(product, stock.release(_units(product), still_held, committed=reservation.status == COMMITTED))
        reservation.status = RELEASED
        reservation.release_reason = reason
    session.flush()
    return list(products.values())


def _units(product: Product) -> stock.Units:
    return stock.Units(product.stock, product.reserved, product.sold)


def _set_units(product: Product, units: stock.Units) -> None:
    product.stock, product.reserved, product.sold = units.stock, units.reserved, units.sold


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


def _repeated(session: Session, order_id: str, wanted: dict[str, int]) -> Reservation:
    reservation = session.get(Reservation, order_id, populate_existing=True)
    held = {item.product_id: item.quantity for item in reservation.items}
    stock.check_repeat(held, wanted, reservation.status, reservation.release_reason)
    return reservation


def _valid_order_id(order_id) -> bool:
    return isinstance(order_id, str) and 0 < len(order_id) <= MAX_ORDER_ID_LENGTH
