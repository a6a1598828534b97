from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="DocumentLine")


@_attrs_define
class DocumentLine:
    """
    Attributes:
        line_total (str): quantity × unit price, tax included Example: 3.19.
        name (str):
        net (str):  Example: 3.19.
        quantity (int):
        sku (str):
        tax (str):  Example: 3.19.
        tax_rate (str): percent Example: 20.
        unit_price (str): tax included Example: 3.19.
    """

    line_total: str
    name: str
    net: str
    quantity: int
    sku: str
    tax: str
    tax_rate: str
    unit_price: str

    def to_dict(self) -> dict[str, Any]:
        line_total = self.line_total

        name = self.name

        net = self.net

        quantity = self.quantity

        sku = self.sku

        tax = self.tax

        tax_rate = self.tax_rate

        unit_price = self.unit_price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "line_total": line_total,
                "name": name,
                "net": net,
                "quantity": quantity,
                "sku": sku,
                "tax": tax,
                "tax_rate": tax_rate,
                "unit_price": unit_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        line_total = d.pop("line_total")

        name = d.pop("name")

        net = d.pop("net")

        quantity = d.pop("quantity")

        sku = d.pop("sku")

        tax = d.pop("tax")

        tax_rate = d.pop("tax_rate")

        unit_price = d.pop("unit_price")

        document_line = cls(
            line_total=line_total,
            name=name,
            net=net,
            quantity=quantity,
            sku=sku,
            tax=tax,
            tax_rate=tax_rate,
            unit_price=unit_price,
        )

        return document_line
