from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TaxBreakdown")


@_attrs_define
class TaxBreakdown:
    """
    Attributes:
        gross (str):  Example: 3.19.
        net (str):  Example: 3.19.
        rate (str): percent Example: 20.
        tax (str):  Example: 3.19.
    """

    gross: str
    net: str
    rate: str
    tax: str

    def to_dict(self) -> dict[str, Any]:
        gross = self.gross

        net = self.net

        rate = self.rate

        tax = self.tax

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "gross": gross,
                "net": net,
                "rate": rate,
                "tax": tax,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        gross = d.pop("gross")

        net = d.pop("net")

        rate = d.pop("rate")

        tax = d.pop("tax")

        tax_breakdown = cls(
            gross=gross,
            net=net,
            rate=rate,
            tax=tax,
        )

        return tax_breakdown
