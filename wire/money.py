"""Money: Decimal amounts with two decimal places, ISO 4217 currency codes."""

import re
from collections.abc import Mapping
from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from wire.errors import Invalid

# Active ISO 4217 codes.
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
    TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR
    ZMW ZWL""".split()
)

CENT = Decimal("0.01")
# The largest amount every money column holds: the narrowest is NUMERIC(12, 2) (a product's
# price, a reservation's unit price, payments' amount); orders', invoices' and the read model's
# totals are NUMERIC(14, 2). An order's total is held to it, so whatever is derived from an
# accepted order (its payment, the tax taken out of it, its invoice, its view) fits too.
MAX_AMOUNT = Decimal("9999999999.99")


def _two_places(value: Decimal) -> None:
    if value.as_tuple().exponent < -2:
        raise ValidationError("At most two decimal places.")


def order_total(line_totals: Mapping[str, Decimal]) -> Decimal:
    """The sum of an order's line totals ({product_id: line total}). Invalid, naming `total` and
    the items whose own total is too large, when it is beyond MAX_AMOUNT."""
    total = sum(line_totals.values(), Decimal("0.00"))
    if total <= MAX_AMOUNT:
        return total
    errors: dict = {"total": [f"At most {MAX_AMOUNT}; these items come to {total}."]}
    over = [product_id for product_id, amount in line_totals.items() if amount > MAX_AMOUNT]
    if over:
        errors["items"] = {"line_total": over}
    raise Invalid(f"An order's total may be at most {MAX_AMOUNT}; this one would be {total}.", errors)


# A price as written on the wire: CENT to MAX_AMOUNT, at most two decimal places, no sign, no
# exponent, no leading zero. The document states it as the field's pattern and the service holds
# requests to the same one, so what a client (or a fuzzer) builds from the pattern is what is
# accepted: 0.01-0.99, or 1 to 9999999999 with up to two decimals.
PRICE_PATTERN = r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,9}(\.[0-9]{1,2})?)$"
# Any amount as written on the wire, zero included (a filter's lower bound may be 0); the same
# form as a price otherwise.
AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$"
_PRICE = re.compile(PRICE_PATTERN)


class Price(fields.Decimal):
    """A positive amount with at most two decimal places, carried as a string."""

    # What the OpenAPI document says it looks like (the gateway documents decimals as strings).
    WIRE_FORMAT = {"pattern": PRICE_PATTERN, "example": "19.99"}

    def __init__(self, **kwargs):
        super().__init__(
            places=None,
            as_string=True,
            allow_nan=False,
            validate=[validate.Range(min=CENT, max=MAX_AMOUNT), _two_places],
            metadata={**self.WIRE_FORMAT, **kwargs.pop("metadata", {})},
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        # A JSON number may already have lost digits as a float: money travels as a string.
        if not isinstance(value, str):
            raise ValidationError("Must be a decimal string such as \"19.99\".")
        amount = super()._deserialize(value, attr, data, **kwargs)
        # The validators name an amount out of range or too precise; this, one written otherwise.
        in_range = CENT <= amount <= MAX_AMOUNT and amount.as_tuple().exponent >= -2
        if in_range and not _PRICE.fullmatch(value):
            raise ValidationError("Write it plainly, such as \"19.99\": no sign, exponent or leading zero.")
        return amount

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return str(Decimal(value).quantize(CENT))


class Currency(fields.String):
    def __init__(self, **kwargs):
        super().__init__(validate=validate.OneOf(sorted(CURRENCIES)), **kwargs)


class Money(fields.Decimal):
    """An amount of zero or more with exactly two decimal places, as a string: what a document's
    figures are (a line's tax may be 0.00), in answers only."""

    WIRE_FORMAT = {"pattern": r"^[0-9]{1,12}\.[0-9]{2}$", "example": "3.19"}

    def __init__(self, **kwargs):
        super().__init__(
            places=2,
            as_string=True,
            allow_nan=False,
            metadata={**self.WIRE_FORMAT, **kwargs.pop("metadata", {})},
            **kwargs,
        )
