"""Credit note content (payments/documents.py) without I/O: a goodwill amount spread over the
order's tax rates, and the returned lines credited at their rates."""

from decimal import Decimal
from types import SimpleNamespace

from payments.documents import goodwill_lines, refund_content


def invoice(*taxes) -> SimpleNamespace:
    """An issued invoice with a breakdown of (rate, gross) pairs."""
    return SimpleNamespace(order_id="o-1", user_id="u-1", currency="EUR", seller={"name": "S"}, buyer={"name": "B"},
                           taxes=[{"rate": rate, "gross": gross} for rate, gross in taxes])


def test_a_goodwill_refund_is_split_over_the_rates_in_proportion_and_the_last_takes_the_rounding():
    invoices = [invoice(("20", "20.00")), invoice(("20", "10.00"), ("5.5", "30.00"))]
    lines = goodwill_lines(Decimal("10.01"), "late", invoices)
    assert [(line["tax_rate"], line["line_total"]) for line in lines] == [
        (Decimal("20"), Decimal("5.01")), (Decimal("5.5"), Decimal("5.00"))]  # 30/60 of 10.01 = 5.005, half up
    assert {line["name"] for line in lines} == {"Goodwill refund: late"}
    content = refund_content(invoices[-1], lines)
    assert content["gross_total"] == Decimal("10.01")
    assert content["taxes"] == [{"rate": "20", "net": "4.17", "tax": "0.84", "gross": "5.01"},
                                {"rate": "5.5", "net": "4.74", "tax": "0.26", "gross": "5.00"}]
    assert content["net_total"] + content["tax_total"] == content["gross_total"]


def test_one_rate_takes_the_whole_goodwill_amount():
    [line] = goodwill_lines(Decimal("7.00"), "sorry", [invoice(("19", "99.99"))])
    assert (line["tax_rate"], line["line_total"], line["quantity"]) == (Decimal("19"), Decimal("7.00"), 1)


def test_returned_lines_are_credited_with_their_tax_and_the_invoices_parties():
    content = refund_content(invoice(("20", "30.00")), [
        {"sku": "MUG-1", "name": "Mug", "quantity": 2, "unit_price": "10.00", "line_total": "20.00", "tax_rate": "20"}])
    assert content["lines"] == [{"sku": "MUG-1", "name": "Mug", "quantity": 2, "unit_price": "10.00",
                                 "line_total": "20.00", "tax_rate": "20", "net": "16.67", "tax": "3.33"}]
    assert (content["seller"], content["buyer"], content["gross_total"]) == ({"name": "S"}, {"name": "B"},
                                                                              Decimal("20.00"))
