from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="QuoteLine")


@_attrs_define
class QuoteLine:
    """
    Attributes:
        line_total (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
        name (str):
        product_id (str):
        quantity (int):
        sku (str):
        unit_price (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
    """

    line_total: str
    name: str
    product_id: str
    quantity: int
    sku: str
    unit_price: str

    def to_dict(self) -> dict[str, Any]:
        line_total = self.line_total

        name = self.name

        product_id = self.product_id

        quantity = self.quantity

        sku = self.sku

        unit_price = self.unit_price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "line_total": line_total,
                "name": name,
                "product_id": product_id,
                "quantity": quantity,
                "sku": sku,
                "unit_price": unit_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        line_total = d.pop("line_total")

        name = d.pop("name")

        product_id = d.pop("product_id")

        quantity = d.pop("quantity")

        sku = d.pop("sku")

        unit_price = d.pop("unit_price")

        quote_line = cls(
            line_total=line_total,
            name=name,
            product_id=product_id,
            quantity=quantity,
            sku=sku,
            unit_price=unit_price,
        )

        return quote_line
