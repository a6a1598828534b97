"""What an invoice and a credit note say, frozen at issue: built from an order's facts and the
seller's settings, with the tax breakdown of payments/tax.py. Pure: no I/O.

An order's facts come from the order_created that payments charges or, for an invoice issued by
hand, from orders.get_order: the same fields either way (`OrderFacts`)."""

from dataclasses import dataclass
from decimal import Decimal

from payments.tax import TaxRates, breakdown, tax_line, totals

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country")


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    vat_id: str

    def as_dict(self) -> dict:
        return {"name": self.name, "address": self.address, "vat_id": self.vat_id}


@dataclass(frozen=True)
class OrderFacts:
    """What an invoice needs of an order."""

    order_id: str
    user_id: str
    total: Decimal
    currency: str
    placed_at: str  # ISO 8601
    shipping_address: dict
    lines: list[dict]  # [{sku, name, quantity, unit_price, line_total}], amounts as Decimal or strings


def facts_from_event(event: dict) -> OrderFacts | None:
    """From a parsed order_created; None for one published before it carried the order."""
    if event.get("lines") is None or event.get("shipping_address") is None or event.get("placed_at") is None:
        return None
    return _facts(event, order_id="order_id", placed_at="placed_at", lines="lines")


def facts_from_order(order: dict) -> OrderFacts:
    """From orders.get_order's answer."""
    return _facts(order, order_id="id", placed_at="created_at", lines="items")


def _facts(source: dict, *, order_id: str, placed_at: str, lines: str) -> OrderFacts:
    """The two sources name three fields differently; the others are the same."""
    return OrderFacts(
        order_id=source[order_id],
        user_id=source["user_id"],
        total=Decimal(source["total"]),
        currency=source["currency"],
        placed_at=source[placed_at],
        shipping_address=source["shipping_address"],
        lines=source[lines],
    )


class TotalsMismatch(ValueError):
    """The order's lines are missing or don't add up to its total: never issue such an invoice."""


def invoice_content(facts: OrderFacts, email: str | None, seller: Seller, rates: TaxRates) -> dict:
    """The frozen columns of an invoice: seller, buyer (the shipping address and the customer's
    email), lines with their tax, the breakdown per rate and the totals, amounts as strings in
    the JSON columns. Raises TotalsMismatch when the lines don't add up to the order's total."""
    address = facts.shipping_address
    rate = rates.rate_for(address["country"])
    lines, taxed = [], []
    for line in facts.lines:
        gross = Decimal(line["line_total"])
        share = tax_line(gross, rate)
        taxed.append(share)
        lines.append(
            {
                "sku": line["sku"],
                "name": line["name"],
                "quantity": int(line["quantity"]),
                "unit_price": _money(line["unit_price"]),
                "line_total": _money(gross),
                "tax_rate": _rate(rate),
                "net": _money(share.net),
                "tax": _money(share.tax),
            }
        )
    rate_totals = breakdown(taxed)
    net, tax, gross = totals(rate_totals)
    if gross != facts.total:
        raise TotalsMismatch(f"order {facts.order_id}: its lines add up to {gross}, its total is {facts.total}")
    return {
        "order_id": facts.order_id,
        "user_id": facts.user_id,
        "currency": facts.currency,
        "seller": seller.as_dict(),
        "buyer": {**{name: address.get(name) for name in ADDRESS_FIELDS}, "email": email},
        "lines": lines,
        "taxes": [
            {"rate": _rate(r.rate), "net": _money(r.net), "tax": _money(r.tax), "gross": _money(r.gross)}
            for r in rate_totals
        ],
        "net_total": net,
        "tax_total": tax,
        "gross_total": gross,
    }


def credit_note_content(invoice) -> dict:
    """The frozen columns of a credit note for the whole of `invoice` (a full refund): its
    seller, buyer, lines and taxes, credited. A partial refund will credit some lines or
    quantities: the same shape with fewer of them."""
    return {
        "order_id": invoice.order_id,
        "user_id": invoice.user_id,
        "currency": invoice.currency,
        "seller": invoice.seller,
        "buyer": invoice.buyer,
        "lines": invoice.lines,
        "taxes": invoice.taxes,
        "net_total": invoice.net_total,
        "tax_total": invoice.tax_total,
        "gross_total": invoice.gross_total,
    }


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def _rate(rate: Decimal) -> str:
    """A rate as written: 20, 5.5, 8.1 (never 20.00 or 2E+1)."""
    return f"{rate.normalize():f}"
