from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Payment")


@_attrs_define
class Payment:
    """
    Attributes:
        amount (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
        created_at (datetime.datetime):
        currency (str):
        id (str):
        order_id (str):
        status (str):
    """

    amount: str
    created_at: datetime.datetime
    currency: str
    id: str
    order_id: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        created_at = self.created_at.isoformat()

        currency = self.currency

        id = self.id

        order_id = self.order_id

        status = self.status

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "created_at": created_at,
                "currency": currency,
                "id": id,
                "order_id": order_id,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        currency = d.pop("currency")

        id = d.pop("id")

        order_id = d.pop("order_id")

        status = d.pop("status")

        payment = cls(
            amount=amount,
            created_at=created_at,
            currency=currency,
            id=id,
            order_id=order_id,
            status=status,
        )

        return payment
