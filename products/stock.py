"""Stock arithmetic and the rules of a reservation, without I/O: how a reservation moves a
product's units, and when it may.

A product's units are in one of three counters: `stock` (can still be sold), `reserved` (held
for an order not paid yet) and `sold`. Two counters say where they came from: `received` (what
was ever put in for sale) and `restocked` (units customers returned that went back on sale).
No reservation changes the ledger, received + restocked = stock + reserved + sold:

    reserve:  stock → reserved          commit (paid):  reserved → sold
    release:  reserved → stock (held)   or  sold → stock (committed: paid, then cancelled)
    restock:  → stock, restocked + 1 (a returned unit back on sale; `sold` keeps its first sale)

A release gives back what the reservation still holds: the whole order's (order_cancelled, the
expiry sweep), or some units of its lines (order_items_cancelled); each reservation item counts
what it gave back, so no unit goes back twice.

Reserving and committing run once per order, so products/reservations.py writes them as SQL
(one statement each, the arrows above); the rarer release and restock go through `release` and
`restock` here. The invariant checker (operations/invariants.py) checks the ledger across the
database."""

from dataclasses import dataclass, replace

from contracts.products import MAX_STOCK
from wire.errors import Conflict, Invalid
from wire.money import order_total


@dataclass(frozen=True)
class Units:
    stock: int
    reserved: int = 0
    sold: int = 0

    @property
    def accounted(self) -> int:
        """What the ledger's other side must equal: received + restocked."""
        return self.stock + self.reserved + self.sold


def shortfall(available: int, requested: int) -> int:
    """How many units are missing to reserve `requested` (0: enough)."""
    return max(requested - available, 0)


def release(units: Units, quantity: int, committed: bool) -> Units:
    """Units of a reservation released: back into stock, from `sold` if it was committed."""
    if committed:
        return replace(units, sold=units.sold - quantity, stock=units.stock + quantity)
    return replace(units, reserved=units.reserved - quantity, stock=units.stock + quantity)


def restock(units: Units, quantity: int) -> Units:
    """Returned units back on sale: they join `stock`, and the ledger counts them in `restocked`
    (not in `sold`, which keeps the sale they came from)."""
    return replace(units, stock=units.stock + quantity)


def releasable(held: int, released: int, asked: int) -> int:
    """How many of `asked` units a reservation item of `held` units, `released` of them given
    back already, can still give back: never more than it holds."""
    return max(min(asked, held - released), 0)


# --- the rules of a reservation ------------------------------------------------------------------

HELD = "held"
COMMITTED = "committed"
RELEASED = "released"


def check_reservable(wanted: dict[str, int], found: dict) -> str:
    """Whether `wanted` ({product_id: quantity}) can be held from `found` ({product_id: anything
    with sku, price, currency and stock}, the products that exist): their one currency. Invalid
    for an unknown product, mixed currencies or a total beyond what a money column holds (the
    order could never be placed: refused before any unit moves); Conflict naming every item
    short of stock."""
    unknown = [product_id for product_id in wanted if product_id not in found]
    if unknown:
        raise Invalid(f"Unknown products: {', '.join(unknown)}.", {"items": {"unknown": unknown}})
    currencies = sorted({product.currency for product in found.values()})
    if len(currencies) > 1:
        raise Invalid(
            f"All items of an order must share one currency; these are in {', '.join(currencies)}.",
            {"items": {"currency": [f"Mixed currencies: {', '.join(currencies)}."]}},
        )
    order_total({product_id: found[product_id].price * quantity for product_id, quantity in wanted.items()})
    short = [
        {"product_id": product_id, "sku": found[product_id].sku, "requested": quantity,
         "available": found[product_id].stock}
        for product_id, quantity in wanted.items()
        if shortfall(found[product_id].stock, quantity)
    ]
    if short:
        names = "; ".join(f"{s['sku']} (requested {s['requested']}, available {s['available']})" for s in short)
        raise Conflict(f"Not enough stock for {names}.", {"items": {"short": short}})
    return currencies[0]


def check_repeat(held: dict[str, int], wanted: dict[str, int], status: str, release_reason: str | None) -> None:
    """A reserve for an order that has a reservation already ({product_id: quantity} each) is a
    repeat of it, which changes nothing: Conflict if it asks for other items, or if that
    reservation was released."""
    if held != wanted:
        raise Conflict("This order already has a reservation with other items.", {"order_id": ["Already reserved."]})
    check_not_released(status, release_reason)


def check_not_released(status: str, release_reason: str | None) -> None:
    """Conflict for a released reservation: what it held is back in stock, for good."""
    if status == RELEASED:
        raise Conflict(
            f"The reservation for this order was already released ({release_reason}).", {"status": [status]}
        )


def adjusted(stock: int, delta: int) -> int:
    """`stock` after adding `delta` units (negative: taken out); Invalid below zero or above
    MAX_STOCK, the most that set_stock and a new product may have (repeated adjustments would
    otherwise overflow the INTEGER columns)."""
    if stock + delta < 0:
        raise Invalid(
            f"Stock would go negative ({stock} available, adjustment {delta}).",
            {"delta": ["Would make stock negative."]},
        )
    if stock + delta > MAX_STOCK:
        raise Invalid(
            f"Stock would exceed {MAX_STOCK} ({stock} available, adjustment {delta}).",
            {"delta": [f"Would make stock more than {MAX_STOCK}."]},
        )
    return stock + delta
