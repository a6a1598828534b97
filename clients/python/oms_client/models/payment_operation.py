from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.payment_operation_status import PaymentOperationStatus
from ..models.payment_operation_type import PaymentOperationType

T = TypeVar("T", bound="PaymentOperation")


@_attrs_define
class PaymentOperation:
    """
    Attributes:
        amount (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
        at (datetime.datetime):
        failure_reason (None | str):
        reference (str): What it was for: the order, a shipment, a return, a refund's key.
        status (PaymentOperationStatus):
        type_ (PaymentOperationType):
    """

    amount: str
    at: datetime.datetime
    failure_reason: None | str
    reference: str
    status: PaymentOperationStatus
    type_: PaymentOperationType

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        at = self.at.isoformat()

        failure_reason: None | str
        failure_reason = self.failure_reason

        reference = self.reference

        status = self.status.value

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "at": at,
                "failure_reason": failure_reason,
                "reference": reference,
                "status": status,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_failure_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        failure_reason = _parse_failure_reason(d.pop("failure_reason"))

        reference = d.pop("reference")

        status = PaymentOperationStatus(d.pop("status"))

        type_ = PaymentOperationType(d.pop("type"))

        payment_operation = cls(
            amount=amount,
            at=at,
            failure_reason=failure_reason,
            reference=reference,
            status=status,
            type_=type_,
        )

        return payment_operation
