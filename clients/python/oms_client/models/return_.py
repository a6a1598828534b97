from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.return_status import ReturnStatus

if TYPE_CHECKING:
    from ..models.return_item import ReturnItem


T = TypeVar("T", bound="Return")


@_attrs_define
class Return:
    """
    Attributes:
        created_at (datetime.datetime):
        id (str):
        items (list[ReturnItem]):
        note (str):
        order_id (str):
        refund_amount (None | str): Set once received: the units that arrived × their price. Example: 3.19.
        status (ReturnStatus):
        updated_at (datetime.datetime):
    """

    created_at: datetime.datetime
    id: str
    items: list[ReturnItem]
    note: str
    order_id: str
    refund_amount: None | str
    status: ReturnStatus
    updated_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = self.id

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        note = self.note

        order_id = self.order_id

        refund_amount: None | str
        refund_amount = self.refund_amount

        status = self.status.value

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "items": items,
                "note": note,
                "order_id": order_id,
                "refund_amount": refund_amount,
                "status": status,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.return_item import ReturnItem  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = d.pop("id")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = ReturnItem.from_dict(items_item_data)

            items.append(items_item)

        note = d.pop("note")

        order_id = d.pop("order_id")

        def _parse_refund_amount(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        refund_amount = _parse_refund_amount(d.pop("refund_amount"))

        status = ReturnStatus(d.pop("status"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        return_ = cls(
            created_at=created_at,
            id=id,
            items=items,
            note=note,
            order_id=order_id,
            refund_amount=refund_amount,
            status=status,
            updated_at=updated_at,
        )

        return return_
