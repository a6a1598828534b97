from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PriceChange")


@_attrs_define
class PriceChange:
    """
    Attributes:
        currency (str):
        effective_at (datetime.datetime):
        price (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
    """

    currency: str
    effective_at: datetime.datetime
    price: str

    def to_dict(self) -> dict[str, Any]:
        currency = self.currency

        effective_at = self.effective_at.isoformat()

        price = self.price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "currency": currency,
                "effective_at": effective_at,
                "price": price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        currency = d.pop("currency")

        effective_at = datetime.datetime.fromisoformat(d.pop("effective_at"))

        price = d.pop("price")

        price_change = cls(
            currency=currency,
            effective_at=effective_at,
            price=price,
        )

        return price_change
