from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="Address")


@_attrs_define
class Address:
    """
    Attributes:
        city (str):
        country (str):
        line1 (str):
        name (str):
        postal_code (str):
        line2 (str | Unset):
    """

    city: str
    country: str
    line1: str
    name: str
    postal_code: str
    line2: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        city = self.city

        country = self.country

        line1 = self.line1

        name = self.name

        postal_code = self.postal_code

        line2 = self.line2

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "city": city,
                "country": country,
                "line1": line1,
                "name": name,
                "postal_code": postal_code,
            }
        )
        if line2 is not UNSET:
            field_dict["line2"] = line2

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        city = d.pop("city")

        country = d.pop("country")

        line1 = d.pop("line1")

        name = d.pop("name")

        postal_code = d.pop("postal_code")

        line2 = d.pop("line2", UNSET)

        address = cls(
            city=city,
            country=country,
            line1=line1,
            name=name,
            postal_code=postal_code,
            line2=line2,
        )

        return address
