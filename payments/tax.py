"""Tax on invoices: the rate per destination country, and the split of tax-inclusive prices.

Catalog prices include tax. Each line's tax is taken out of its total (quantity × unit price)
and rounded to the cent, half up: tax = total × rate / (100 + rate); net = total − tax, so net +
tax = total on every line, and the invoice's gross is the order's total to the cent. The
breakdown per rate and the totals are sums of the rounded lines (never rounded again), which is
what "rounded per line" means: a per-rate figure may differ by a cent from rounding that rate's
sum once. Pure arithmetic, no I/O."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")


def to_cents(amount: Decimal) -> Decimal:
    """`amount` rounded to the cent, half up (0.005 → 0.01, as on a till, not to even)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaxRates:
    """Percent rates by ISO 3166 country code, and the rate of any other destination."""

    by_country: dict[str, Decimal]
    default: Decimal

    @classmethod
    def from_config(cls, table: dict, default) -> "TaxRates":
        rates = {str(country).upper(): _rate(value) for country, value in (table or {}).items()}
        return cls(rates, _rate(default))

    def rate_for(self, country: str) -> Decimal:
        return self.by_country.get(country.upper(), self.default)


def _rate(value) -> Decimal:
    rate = Decimal(str(value))
    if not rate.is_finite() or not 0 <= rate < 100:
        raise ValueError(f"a tax rate is a percentage from 0 to under 100, not {value!r}")
    return rate


@dataclass(frozen=True)
class TaxedLine:
    gross: Decimal
    rate: Decimal
    net: Decimal
    tax: Decimal


def tax_line(gross: Decimal, rate: Decimal) -> TaxedLine:
    """The tax included in a line total of `gross` at `rate` percent."""
    tax = to_cents(gross * rate / (HUNDRED + rate))
    return TaxedLine(gross=gross, rate=rate, net=gross - tax, tax=tax)


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


def breakdown(lines: Iterable[TaxedLine]) -> list[RateTotal]:
    """Net, tax and gross per rate, highest rate first: sums of the lines' rounded figures."""
    sums: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        net, tax, gross = sums.setdefault(line.rate.normalize(), [ZERO, ZERO, ZERO])
        sums[line.rate.normalize()] = [net + line.net, tax + line.tax, gross + line.gross]
    return [RateTotal(rate, *sums[rate]) for rate in sorted(sums, reverse=True)]


def totals(rates: Iterable[RateTotal]) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, gross) of the whole document."""
    net = tax = gross = ZERO
    for rate in rates:
        net, tax, gross = net + rate.net, tax + rate.tax, gross + rate.gross
    return net, tax, gross
