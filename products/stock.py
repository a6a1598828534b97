"""Stock arithmetic, without I/O: how a reservation moves a product's units.

A product's units are in one of three counters: `stock` (can still be sold), `reserved` (held
for an order not paid yet) and `sold`. `received` (what was ever put in for sale) is their sum
and no reservation changes it:

    reserve:  stock → reserved          commit (paid):  reserved → sold
    release:  reserved → stock (held)   or  sold → stock (committed: paid, then refunded)

Reserving and committing run once per order, so products/reservations.py writes them as SQL
(one statement each, the arrows above); the rarer release goes through `release` here. The
invariant checker (operations/invariants.py) checks the sum across the database."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Units:
    stock: int
    reserved: int = 0
    sold: int = 0

    @property
    def received(self) -> int:
        return self.stock + self.reserved + self.sold


def shortfall(available: int, requested: int) -> int:
    """How many units are missing to reserve `requested` (0: enough)."""
    return max(requested - available, 0)


def release(units: Units, quantity: int, committed: bool) -> Units:
    """A reservation released: its units go back into stock, from `sold` if it was committed."""
    if committed:
        return replace(units, sold=units.sold - quantity, stock=units.stock + quantity)
    return replace(units, reserved=units.reserved - quantity, stock=units.stock + quantity)
