from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ReceivedLine")


@_attrs_define
class ReceivedLine:
    """
    Attributes:
        product_id (str):
        quantity (int):
        restock (bool): Put the units back on sale (false: damaged).
    """

    product_id: str
    quantity: int
    restock: bool

    def to_dict(self) -> dict[str, Any]:
        product_id = self.product_id

        quantity = self.quantity

        restock = self.restock

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "product_id": product_id,
                "quantity": quantity,
                "restock": restock,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        product_id = d.pop("product_id")

        quantity = d.pop("quantity")

        restock = d.pop("restock")

        received_line = cls(
            product_id=product_id,
            quantity=quantity,
            restock=restock,
        )

        return received_line
