from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.received_line import ReceivedLine


T = TypeVar("T", bound="ReceiveReturn")


@_attrs_define
class ReceiveReturn:
    """
    Attributes:
        items (list[ReceivedLine]): Per returned line, the units that arrived (at most those requested).
    """

    items: list[ReceivedLine]

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "items": items,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.received_line import ReceivedLine  # noqa: PLC0415

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = ReceivedLine.from_dict(items_item_data)

            items.append(items_item)

        receive_return = cls(
            items=items,
        )

        return receive_return
