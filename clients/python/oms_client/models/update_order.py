from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.address import Address


T = TypeVar("T", bound="UpdateOrder")


@_attrs_define
class UpdateOrder:
    """
    Attributes:
        shipping_address (Address):
    """

    shipping_address: Address

    def to_dict(self) -> dict[str, Any]:
        shipping_address = self.shipping_address.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "shipping_address": shipping_address,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.address import Address  # noqa: PLC0415

        d = dict(src_dict)
        shipping_address = Address.from_dict(d.pop("shipping_address"))

        update_order = cls(
            shipping_address=shipping_address,
        )

        return update_order
