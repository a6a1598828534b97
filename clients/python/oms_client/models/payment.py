from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.payment_status import PaymentStatus

if TYPE_CHECKING:
    from ..models.payment_operation import PaymentOperation


T = TypeVar("T", bound="Payment")


@_attrs_define
class Payment:
    """
    Attributes:
        amount (str): The order's total, as authorized when it was placed. A decimal string from 0.01 to 9999999999.99.
            Example: 19.99.
        authorized (str):  Example: 3.19.
        captured (str):  Example: 3.19.
        created_at (datetime.datetime):
        currency (str):
        id (str):
        operations (list[PaymentOperation]): oldest first
        order_id (str):
        refunded (str):  Example: 3.19.
        status (PaymentStatus):
        voided (str):  Example: 3.19.
    """

    amount: str
    authorized: str
    captured: str
    created_at: datetime.datetime
    currency: str
    id: str
    operations: list[PaymentOperation]
    order_id: str
    refunded: str
    status: PaymentStatus
    voided: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        authorized = self.authorized

        captured = self.captured

        created_at = self.created_at.isoformat()

        currency = self.currency

        id = self.id

        operations = []
        for operations_item_data in self.operations:
            operations_item = operations_item_data.to_dict()
            operations.append(operations_item)

        order_id = self.order_id

        refunded = self.refunded

        status = self.status.value

        voided = self.voided

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "authorized": authorized,
                "captured": captured,
                "created_at": created_at,
                "currency": currency,
                "id": id,
                "operations": operations,
                "order_id": order_id,
                "refunded": refunded,
                "status": status,
                "voided": voided,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.payment_operation import PaymentOperation  # noqa: PLC0415

        d = dict(src_dict)
        amount = d.pop("amount")

        authorized = d.pop("authorized")

        captured = d.pop("captured")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        currency = d.pop("currency")

        id = d.pop("id")

        operations = []
        _operations = d.pop("operations")
        for operations_item_data in _operations:
            operations_item = PaymentOperation.from_dict(operations_item_data)

            operations.append(operations_item)

        order_id = d.pop("order_id")

        refunded = d.pop("refunded")

        status = PaymentStatus(d.pop("status"))

        voided = d.pop("voided")

        payment = cls(
            amount=amount,
            authorized=authorized,
            captured=captured,
            created_at=created_at,
            currency=currency,
            id=id,
            operations=operations,
            order_id=order_id,
            refunded=refunded,
            status=status,
            voided=voided,
        )

        return payment
