"""Tax arithmetic on awkward amounts: taken out of tax-inclusive prices, rounded per line, half up."""

from decimal import Decimal as D

import pytest

from payments.tax import RateTotal, TaxRates, breakdown, tax_line, to_cents, totals


@pytest.mark.parametrize(
    ("gross", "rate", "net", "tax"),
    [
        ("0.01", "20", "0.01", "0.00"),  # 0.001666… of tax rounds away
        ("0.03", "20", "0.02", "0.01"),  # exactly 0.005 of tax: half up, where half-even would give 0.00
        ("0.06", "20", "0.05", "0.01"),
        ("99.99", "20", "83.32", "16.67"),  # 33.33 × 3: 16.665 → 16.67
        ("33.33", "20", "27.77", "5.56"),  # 5.555 → 5.56
        ("19.99", "19", "16.80", "3.19"),
        ("10.00", "5.5", "9.48", "0.52"),  # 0.5213…
        ("100.00", "0", "100.00", "0.00"),
        ("0.00", "20", "0.00", "0.00"),
    ],
)
def test_the_tax_of_a_line_is_taken_out_of_its_total_and_rounded_half_up(gross, rate, net, tax):
    line = tax_line(D(gross), D(rate))
    assert (line.net, line.tax) == (D(net), D(tax))
    assert line.net + line.tax == D(gross)


def test_rounding_is_half_up_not_to_even():
    assert to_cents(D("0.005")) == D("0.01")
    assert to_cents(D("0.015")) == D("0.02")
    assert to_cents(D("0.025")) == D("0.03")  # half-even would give 0.02
    assert to_cents(D("0.0049999")) == D("0.00")


def test_three_lines_of_33_33_are_rounded_one_by_one():
    lines = [tax_line(D("33.33"), D("20")) for _ in range(3)]
    [rate] = breakdown(lines)
    # Per line 5.555 → 5.56, so 16.68; rounding the sum once (99.99 → 16.665 → 16.67) would differ.
    assert rate == RateTotal(D("20"), D("83.31"), D("16.68"), D("99.99"))
    assert totals([rate]) == (D("83.31"), D("16.68"), D("99.99"))


def test_mixed_rates_are_broken_down_per_rate_highest_first_and_sum_to_the_gross():
    lines = [
        tax_line(D("0.01"), D("20")),
        tax_line(D("12.00"), D("5.5")),
        tax_line(D("99.99"), D("20")),
        tax_line(D("7.77"), D("0")),
        tax_line(D("12.00"), D("5.50")),  # the same rate written otherwise
    ]
    assert breakdown(lines) == [
        RateTotal(D("20"), D("83.33"), D("16.67"), D("100.00")),
        RateTotal(D("5.5"), D("22.74"), D("1.26"), D("24.00")),
        RateTotal(D("0"), D("7.77"), D("0.00"), D("7.77")),
    ]
    net, tax, gross = totals(breakdown(lines))
    assert (net, tax, gross) == (D("113.84"), D("17.93"), D("131.77"))
    assert gross == sum(line.gross for line in lines) and net + tax == gross


def test_an_empty_document_totals_zero():
    assert breakdown([]) == [] and totals([]) == (D("0.00"), D("0.00"), D("0.00"))


def test_the_rate_table_has_a_default_for_other_destinations():
    rates = TaxRates.from_config({"FR": "20", "de": 19, "US": "0"}, "20")
    assert rates.rate_for("FR") == D("20") and rates.rate_for("DE") == D("19")
    assert rates.rate_for("us") == D("0")
    assert rates.rate_for("JP") == D("20")


@pytest.mark.parametrize("bad", ["-1", "100", "NaN", "abc"])
def test_a_rate_outside_0_to_100_percent_is_refused(bad):
    with pytest.raises((ValueError, ArithmeticError)):
        TaxRates.from_config({"FR": bad}, "20")
