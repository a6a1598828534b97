from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.address import Address
    from ..models.order_item import OrderItem


T = TypeVar("T", bound="Order")


@_attrs_define
class Order:
    """
    Attributes:
        created_at (datetime.datetime):
        currency (str):
        id (str):
        items (list[OrderItem]):
        paid (bool): Whether its payment was taken: true from confirmation on, refunded or not.
        shipping_address (Address):
        status (str):
        total (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
        updated_at (datetime.datetime):
        user_id (str):
    """

    created_at: datetime.datetime
    currency: str
    id: str
    items: list[OrderItem]
    paid: bool
    shipping_address: Address
    status: str
    total: str
    updated_at: datetime.datetime
    user_id: str

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        currency = self.currency

        id = self.id

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        paid = self.paid

        shipping_address = self.shipping_address.to_dict()

        status = self.status

        total = self.total

        updated_at = self.updated_at.isoformat()

        user_id = self.user_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "created_at": created_at,
                "currency": currency,
                "id": id,
                "items": items,
                "paid": paid,
                "shipping_address": shipping_address,
                "status": status,
                "total": total,
                "updated_at": updated_at,
                "user_id": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.address import Address  # noqa: PLC0415
        from ..models.order_item import OrderItem  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        currency = d.pop("currency")

        id = d.pop("id")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = OrderItem.from_dict(items_item_data)

            items.append(items_item)

        paid = d.pop("paid")

        shipping_address = Address.from_dict(d.pop("shipping_address"))

        status = d.pop("status")

        total = d.pop("total")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        user_id = d.pop("user_id")

        order = cls(
            created_at=created_at,
            currency=currency,
            id=id,
            items=items,
            paid=paid,
            shipping_address=shipping_address,
            status=status,
            total=total,
            updated_at=updated_at,
            user_id=user_id,
        )

        return order
