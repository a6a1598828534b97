from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ReturnItem")


@_attrs_define
class ReturnItem:
    """
    Attributes:
        name (str):
        product_id (str):
        quantity (int):
        reason (str):
        received_quantity (int | None):
        restock (bool | None):
        sku (str):
        unit_price (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
    """

    name: str
    product_id: str
    quantity: int
    reason: str
    received_quantity: int | None
    restock: bool | None
    sku: str
    unit_price: str

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        product_id = self.product_id

        quantity = self.quantity

        reason = self.reason

        received_quantity: int | None
        received_quantity = self.received_quantity

        restock: bool | None
        restock = self.restock

        sku = self.sku

        unit_price = self.unit_price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "product_id": product_id,
                "quantity": quantity,
                "reason": reason,
                "received_quantity": received_quantity,
                "restock": restock,
                "sku": sku,
                "unit_price": unit_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        product_id = d.pop("product_id")

        quantity = d.pop("quantity")

        reason = d.pop("reason")

        def _parse_received_quantity(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        received_quantity = _parse_received_quantity(d.pop("received_quantity"))

        def _parse_restock(data: object) -> bool | None:
            if data is None:
                return data
            return cast(bool | None, data)

        restock = _parse_restock(d.pop("restock"))

        sku = d.pop("sku")

        unit_price = d.pop("unit_price")

        return_item = cls(
            name=name,
            product_id=product_id,
            quantity=quantity,
            reason=reason,
            received_quantity=received_quantity,
            restock=restock,
            sku=sku,
            unit_price=unit_price,
        )

        return return_item
