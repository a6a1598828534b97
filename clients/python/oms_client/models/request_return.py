from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.return_line_request import ReturnLineRequest


T = TypeVar("T", bound="RequestReturn")


@_attrs_define
class RequestReturn:
    """
    Attributes:
        items (list[ReturnLineRequest]): Delivered lines and quantities to send back, each with its reason.
        note (str | Unset):  Default: ''.
    """

    items: list[ReturnLineRequest]
    note: str | Unset = ""

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        note = self.note

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "items": items,
            }
        )
        if note is not UNSET:
            field_dict["note"] = note

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.return_line_request import ReturnLineRequest  # noqa: PLC0415

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = ReturnLineRequest.from_dict(items_item_data)

            items.append(items_item)

        note = d.pop("note", UNSET)

        request_return = cls(
            items=items,
            note=note,
        )

        return request_return
