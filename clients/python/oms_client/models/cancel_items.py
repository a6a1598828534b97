from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.line_quantity import LineQuantity


T = TypeVar("T", bound="CancelItems")


@_attrs_define
class CancelItems:
    """
    Attributes:
        items (list[LineQuantity]): The lines and quantities to cancel; each at most what remains unshipped.
        reason (str | Unset):  Default: ''.
    """

    items: list[LineQuantity]
    reason: str | Unset = ""

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "items": items,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.line_quantity import LineQuantity  # noqa: PLC0415

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = LineQuantity.from_dict(items_item_data)

            items.append(items_item)

        reason = d.pop("reason", UNSET)

        cancel_items = cls(
            items=items,
            reason=reason,
        )

        return cancel_items
