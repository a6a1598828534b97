from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="OrderItem")


@_attrs_define
class OrderItem:
    """
    Attributes:
        cancelled_quantity (int):
        delivered_quantity (int):
        line_total (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
        name (str):
        product_id (str):
        quantity (int):
        returned_quantity (int): Received back in returns.
        shipped_quantity (int):
        sku (str):
        unit_price (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
    """

    cancelled_quantity: int
    delivered_quantity: int
    line_total: str
    name: str
    product_id: str
    quantity: int
    returned_quantity: int
    shipped_quantity: int
    sku: str
    unit_price: str

    def to_dict(self) -> dict[str, Any]:
        cancelled_quantity = self.cancelled_quantity

        delivered_quantity = self.delivered_quantity

        line_total = self.line_total

        name = self.name

        product_id = self.product_id

        quantity = self.quantity

        returned_quantity = self.returned_quantity

        shipped_quantity = self.shipped_quantity

        sku = self.sku

        unit_price = self.unit_price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "cancelled_quantity": cancelled_quantity,
                "delivered_quantity": delivered_quantity,
                "line_total": line_total,
                "name": name,
                "product_id": product_id,
                "quantity": quantity,
                "returned_quantity": returned_quantity,
                "shipped_quantity": shipped_quantity,
                "sku": sku,
                "unit_price": unit_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cancelled_quantity = d.pop("cancelled_quantity")

        delivered_quantity = d.pop("delivered_quantity")

        line_total = d.pop("line_total")

        name = d.pop("name")

        product_id = d.pop("product_id")

        quantity = d.pop("quantity")

        returned_quantity = d.pop("returned_quantity")

        shipped_quantity = d.pop("shipped_quantity")

        sku = d.pop("sku")

        unit_price = d.pop("unit_price")

        order_item = cls(
            cancelled_quantity=cancelled_quantity,
            delivered_quantity=delivered_quantity,
            line_total=line_total,
            name=name,
            product_id=product_id,
            quantity=quantity,
            returned_quantity=returned_quantity,
            shipped_quantity=shipped_quantity,
            sku=sku,
            unit_price=unit_price,
        )

        return order_item
