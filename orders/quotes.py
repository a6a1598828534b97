"""Price quotes (issue 27): pricing a cart from the catalog, and whether an order may use a quote.

A quote holds prices, not stock: an order citing it reserves stock as any order does
(products.reserve_stock, whose snapshot gives the names and the currency), then takes the
quote's unit prices for its lines. The order's transaction locks the quote row and marks it used,
so two orders racing for one quote are serialised and the second is refused; an order that fails
to be placed leaves its quote unused. The rules here do no I/O; the service calls products and
writes the row."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from contracts.quotes import QuoteExpired, QuoteMismatch, QuoteUnknown, QuoteUsed
from orders.models import Quote
from wire.errors import Conflict, Invalid
from wire.money import order_total


@dataclass(frozen=True)
class Priced:
    """A cart priced: its currency, lines as QuoteLineSchema has them, and total."""

    currency: str
    lines: list[dict]
    total: Decimal


def price(items: list[dict], products: list[dict]) -> Priced:
    """`items` ([{product_id, quantity}], each product once) at the prices of `products` (the
    catalog's answer). Invalid naming unknown products, items in more than one currency, or a
    total beyond what a money column holds."""
    by_id = {product["id"]: product for product in products}
    unknown = [item["product_id"] for item in items if item["product_id"] not in by_id]
    if unknown:
        raise Invalid("Unknown products.", {"items": {"unknown": unknown}})
    currencies = sorted({by_id[item["product_id"]]["currency"] for item in items})
    if len(currencies) > 1:
        raise Invalid("All items must be in one currency.",
                      {"items": {"currency": [f"Mixed currencies: {', '.join(currencies)}."]}})
    lines = []
    for item in items:
        product = by_id[item["product_id"]]
        unit_price = Decimal(product["price"])
        lines.append({"product_id": product["id"], "sku": product["sku"], "name": product["name"],
                      "unit_price": unit_price, "quantity": item["quantity"],
                      "line_total": unit_price * item["quantity"]})
    total = order_total({line["product_id"]: line["line_total"] for line in lines})
    return Priced(currencies[0], lines, total)


def check_usable(quote: Quote | None, user_id: str, items: list[dict], now: datetime) -> None:
    """Whether an order of `user_id` for `items` may take `quote`'s prices: QuoteUnknown (also for
    another customer's quote), QuoteUsed, QuoteExpired, or QuoteMismatch naming the differences."""
    if quote is None or quote.user_id != user_id:
        raise QuoteUnknown("No such quote for you.", {"quote_id": ["Unknown."]})
    if quote.order_id is not None:
        raise QuoteUsed("This quote was used by another order; ask for a new one.", {"quote_id": ["Used."]})
    if quote.expires_at <= now:
        raise QuoteExpired(f"This quote expired at {quote.expires_at.isoformat()}; ask for a new one.",
                           {"quote_id": ["Expired."]})
    quoted = {line["product_id"]: line["quantity"] for line in quote.lines}
    ordered = {item["product_id"]: item["quantity"] for item in items}
    differences = {
        "not_quoted": sorted(set(ordered) - set(quoted)),
        "missing": sorted(set(quoted) - set(ordered)),
        "quantity": [{"product_id": product_id, "quoted": quoted[product_id], "ordered": ordered[product_id]}
                     for product_id in sorted(set(quoted) & set(ordered)) if quoted[product_id] != ordered[product_id]],
    }
    if any(differences.values()):
        raise QuoteMismatch("The order's items are not the quote's.",
                            {"items": {name: found for name, found in differences.items() if found}})


def at_quoted_prices(reservation: dict, quote: Quote) -> dict:
    """The reservation's price snapshot with the quote's unit prices. Conflict if the catalog moved
    the products to another currency since the quote."""
    if reservation["currency"] != quote.currency:
        raise Conflict(f"These products are now sold in {reservation['currency']}, not the quote's {quote.currency};"
                       " ask for a new quote.", {"quote_id": ["Currency changed."]})
    prices = {line["product_id"]: line["unit_price"] for line in quote.lines}
    return {**reservation, "items": [{**item, "unit_price": prices[item["product_id"]]}
                                     for item in reservation["items"]]}


def lock(session: Session, quote_id: str) -> Quote | None:
    """The quote, locked until the order's transaction ends."""
    return session.get(Quote, quote_id, with_for_update=True)


def mark_used(session: Session, quote: Quote, order_id: str) -> None:
    session.execute(update(Quote).where(Quote.id == quote.id).values(order_id=order_id))


def purge_expired(session: Session, older_than: datetime, limit: int) -> int:
    """Delete up to `limit` quotes that expired unused before `older_than` (rows another instance
    holds are skipped); how many went."""
    doomed = (select(Quote.id).where(Quote.order_id.is_(None), Quote.expires_at < older_than)
              .limit(limit).with_for_update(skip_locked=True))
    return session.execute(delete(Quote).where(Quote.id.in_(doomed.scalar_subquery()))).rowcount
