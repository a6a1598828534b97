from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.address import Address
    from ..models.order_line_request import OrderLineRequest


T = TypeVar("T", bound="CreateOrder")


@_attrs_define
class CreateOrder:
    """
    Attributes:
        items (list[OrderLineRequest]): One line per product: each `product_id` once, a product in the catalog (else
            422).
        payment_token (str):
        shipping_address (Address):
        quote_id (str | Unset): A quote of yours (POST /quotes) for exactly these items: the order takes its prices.
    """

    items: list[OrderLineRequest]
    payment_token: str
    shipping_address: Address
    quote_id: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        payment_token = self.payment_token

        shipping_address = self.shipping_address.to_dict()

        quote_id = self.quote_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "items": items,
                "payment_token": payment_token,
                "shipping_address": shipping_address,
            }
        )
        if quote_id is not UNSET:
            field_dict["quote_id"] = quote_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.address import Address  # noqa: PLC0415
        from ..models.order_line_request import OrderLineRequest  # noqa: PLC0415

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = OrderLineRequest.from_dict(items_item_data)

            items.append(items_item)

        payment_token = d.pop("payment_token")

        shipping_address = Address.from_dict(d.pop("shipping_address"))

        quote_id = d.pop("quote_id", UNSET)

        create_order = cls(
            items=items,
            payment_token=payment_token,
            shipping_address=shipping_address,
            quote_id=quote_id,
        )

        return create_order
