from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Seller")


@_attrs_define
class Seller:
    """
    Attributes:
        address (str):
        name (str):
        vat_id (str):
    """

    address: str
    name: str
    vat_id: str

    def to_dict(self) -> dict[str, Any]:
        address = self.address

        name = self.name

        vat_id = self.vat_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "address": address,
                "name": name,
                "vat_id": vat_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        address = d.pop("address")

        name = d.pop("name")

        vat_id = d.pop("vat_id")

        seller = cls(
            address=address,
            name=name,
            vat_id=vat_id,
        )

        return seller
