from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.return_line_request_reason import ReturnLineRequestReason

T = TypeVar("T", bound="ReturnLineRequest")


@_attrs_define
class ReturnLineRequest:
    """
    Attributes:
        product_id (str):
        quantity (int):
        reason (ReturnLineRequestReason):
    """

    product_id: str
    quantity: int
    reason: ReturnLineRequestReason

    def to_dict(self) -> dict[str, Any]:
        product_id = self.product_id

        quantity = self.quantity

        reason = self.reason.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "product_id": product_id,
                "quantity": quantity,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        product_id = d.pop("product_id")

        quantity = d.pop("quantity")

        reason = ReturnLineRequestReason(d.pop("reason"))

        return_line_request = cls(
            product_id=product_id,
            quantity=quantity,
            reason=reason,
        )

        return return_line_request
