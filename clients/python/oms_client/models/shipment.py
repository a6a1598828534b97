from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.shipment_status import ShipmentStatus

if TYPE_CHECKING:
    from ..models.shipment_item import ShipmentItem


T = TypeVar("T", bound="Shipment")


@_attrs_define
class Shipment:
    """
    Attributes:
        amount (str): What its capture takes: the sum of its lines. A decimal string from 0.01 to 9999999999.99.
            Example: 19.99.
        carrier (str):
        created_at (datetime.datetime):
        delivered_at (datetime.datetime | None):
        id (str):
        invoice_number (None | str):
        items (list[ShipmentItem]):
        order_id (str):
        shipped_at (datetime.datetime | None):
        status (ShipmentStatus):
        tracking_number (None | str):
    """

    amount: str
    carrier: str
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None
    id: str
    invoice_number: None | str
    items: list[ShipmentItem]
    order_id: str
    shipped_at: datetime.datetime | None
    status: ShipmentStatus
    tracking_number: None | str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        carrier = self.carrier

        created_at = self.created_at.isoformat()

        delivered_at: None | str
        if isinstance(self.delivered_at, datetime.datetime):
            delivered_at = self.delivered_at.isoformat()
        else:
            delivered_at = self.delivered_at

        id = self.id

        invoice_number: None | str
        invoice_number = self.invoice_number

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        order_id = self.order_id

        shipped_at: None | str
        if isinstance(self.shipped_at, datetime.datetime):
            shipped_at = self.shipped_at.isoformat()
        else:
            shipped_at = self.shipped_at

        status = self.status.value

        tracking_number: None | str
        tracking_number = self.tracking_number

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "carrier": carrier,
                "created_at": created_at,
                "delivered_at": delivered_at,
                "id": id,
                "invoice_number": invoice_number,
                "items": items,
                "order_id": order_id,
                "shipped_at": shipped_at,
                "status": status,
                "tracking_number": tracking_number,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.shipment_item import ShipmentItem  # noqa: PLC0415

        d = dict(src_dict)
        amount = d.pop("amount")

        carrier = d.pop("carrier")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_delivered_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                delivered_at_type_0 = datetime.datetime.fromisoformat(data)

                return delivered_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        delivered_at = _parse_delivered_at(d.pop("delivered_at"))

        id = d.pop("id")

        def _parse_invoice_number(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        invoice_number = _parse_invoice_number(d.pop("invoice_number"))

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = ShipmentItem.from_dict(items_item_data)

            items.append(items_item)

        order_id = d.pop("order_id")

        def _parse_shipped_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                shipped_at_type_0 = datetime.datetime.fromisoformat(data)

                return shipped_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        shipped_at = _parse_shipped_at(d.pop("shipped_at"))

        status = ShipmentStatus(d.pop("status"))

        def _parse_tracking_number(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        tracking_number = _parse_tracking_number(d.pop("tracking_number"))

        shipment = cls(
            amount=amount,
            carrier=carrier,
            created_at=created_at,
            delivered_at=delivered_at,
            id=id,
            invoice_number=invoice_number,
            items=items,
            order_id=order_id,
            shipped_at=shipped_at,
            status=status,
            tracking_number=tracking_number,
        )

        return shipment
