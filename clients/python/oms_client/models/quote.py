from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.quote_line import QuoteLine


T = TypeVar("T", bound="Quote")


@_attrs_define
class Quote:
    """
    Attributes:
        created_at (datetime.datetime):
        currency (str):
        expires_at (datetime.datetime): Its prices hold until then.
        id (str):
        items (list[QuoteLine]):
        order_id (None | str): The order that used it; null while unused.
        total (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
        user_id (str):
    """

    created_at: datetime.datetime
    currency: str
    expires_at: datetime.datetime
    id: str
    items: list[QuoteLine]
    order_id: None | str
    total: str
    user_id: str

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        currency = self.currency

        expires_at = self.expires_at.isoformat()

        id = self.id

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        order_id: None | str
        order_id = self.order_id

        total = self.total

        user_id = self.user_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "created_at": created_at,
                "currency": currency,
                "expires_at": expires_at,
                "id": id,
                "items": items,
                "order_id": order_id,
                "total": total,
                "user_id": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.quote_line import QuoteLine  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        currency = d.pop("currency")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = QuoteLine.from_dict(items_item_data)

            items.append(items_item)

        def _parse_order_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        order_id = _parse_order_id(d.pop("order_id"))

        total = d.pop("total")

        user_id = d.pop("user_id")

        quote = cls(
            created_at=created_at,
            currency=currency,
            expires_at=expires_at,
            id=id,
            items=items,
            order_id=order_id,
            total=total,
            user_id=user_id,
        )

        return quote
