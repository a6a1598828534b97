from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.line_quantity import LineQuantity


T = TypeVar("T", bound="CreateShipment")


@_attrs_define
class CreateShipment:
    """
    Attributes:
        carrier (str):
        items (list[LineQuantity]): The lines and quantities in the parcel; each at most what remains to ship.
        tracking_number (None | str):
    """

    carrier: str
    items: list[LineQuantity]
    tracking_number: None | str

    def to_dict(self) -> dict[str, Any]:
        carrier = self.carrier

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        tracking_number: None | str
        tracking_number = self.tracking_number

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "carrier": carrier,
                "items": items,
                "tracking_number": tracking_number,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.line_quantity import LineQuantity  # noqa: PLC0415

        d = dict(src_dict)
        carrier = d.pop("carrier")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = LineQuantity.from_dict(items_item_data)

            items.append(items_item)

        def _parse_tracking_number(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        tracking_number = _parse_tracking_number(d.pop("tracking_number"))

        create_shipment = cls(
            carrier=carrier,
            items=items,
            tracking_number=tracking_number,
        )

        return create_shipment
