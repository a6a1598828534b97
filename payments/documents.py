"""What an invoice and a credit note say, frozen at issue: built from an order's facts and the
seller's settings, with the tax breakdown of payments/tax.py. Pure: no I/O.

A capture's invoice is built from the order's facts that payments kept from its order_created
(its shipping address and placement time) and the shipment's lines; an invoice issued by hand
(a legacy order) from orders.get_order: the same fields either way (`OrderFacts`, whose total is
what the invoice must add up to). A credit note credits the returned lines (`refund_content`), a
goodwill amount spread over the order's tax rates (`goodwill_lines`), or a whole invoice
(`credit_note_content`, a cancelled legacy order)."""

from dataclasses import dataclass
from decimal import Decimal

from payments.tax import TaxRates, breakdown, tax_line, to_cents, totals

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


def facts_from_order(order: dict) -> OrderFacts:
    """From orders.get_order's answer."""
    return OrderFacts(
        order_id=order["id"],
        user_id=order["user_id"],
        total=Decimal(order["total"]),
        currency=order["currency"],
        placed_at=order["created_at"],
        shipping_address=order["shipping_address"],
        lines=order["items"],
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


def refund_content(invoice, lines: list[dict]) -> dict:
    """The frozen columns of a credit note for `lines` ({sku, name, quantity, unit_price,
    line_total, tax_rate}) against `invoice`: its seller and buyer, the lines with their tax, the
    breakdown and the totals (gross = what is refunded)."""
    credited, taxed = [], []
    for line in lines:
        gross, rate = Decimal(line["line_total"]), Decimal(line["tax_rate"])
        share = tax_line(gross, rate)
        taxed.append(share)
        credited.append({
            "sku": line["sku"], "name": line["name"][:200], "quantity": int(line["quantity"]),
            "unit_price": _money(line["unit_price"]), "line_total": _money(gross), "tax_rate": _rate(rate),
            "net": _money(share.net), "tax": _money(share.tax),
        })
    rate_totals = breakdown(taxed)
    net, tax, gross = totals(rate_totals)
    return {
        "order_id": invoice.order_id,
        "user_id": invoice.user_id,
        "currency": invoice.currency,
        "seller": invoice.seller,
        "buyer": invoice.buyer,
        "lines": credited,
        "taxes": [
            {"rate": _rate(r.rate), "net": _money(r.net), "tax": _money(r.tax), "gross": _money(r.gross)}
            for r in rate_totals
        ],
        "net_total": net,
        "tax_total": tax,
        "gross_total": gross,
    }


GOODWILL_SKU = "GOODWILL"


def goodwill_lines(amount: Decimal, reason: str, invoices: list) -> list[dict]:
    """A goodwill refund of `amount` as credit note lines: one per tax rate of the order's
    invoices, in proportion to their gross at that rate (the last rate takes the rounding), so
    the tax given back is the tax that was charged."""
    gross_by_rate: dict[Decimal, Decimal] = {}
    for invoice in invoices:
        for rate in invoice.taxes:
            key = Decimal(rate["rate"])
            gross_by_rate[key] = gross_by_rate.get(key, Decimal("0")) + Decimal(rate["gross"])
    invoiced = sum(gross_by_rate.values())
    rates = sorted(gross_by_rate, reverse=True)
    lines, left = [], amount
    for position, rate in enumerate(rates):
        last = position == len(rates) - 1
        share = left if last else to_cents(amount * gross_by_rate[rate] / invoiced)
        left -= share
        if share > 0:
            lines.append({"sku": GOODWILL_SKU, "name": f"Goodwill refund: {reason}", "quantity": 1,
                          "unit_price": share, "line_total": share, "tax_rate": rate})
    return lines


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def _rate(rate: Decimal) -> str:
    """A rate as written: 20, 5.5, 8.1 (never 20.00 or 2E+1)."""
    return f"{rate.normalize():f}"
