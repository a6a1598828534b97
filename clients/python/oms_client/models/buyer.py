from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Buyer")


@_attrs_define
class Buyer:
    """
    Attributes:
        city (str):
        country (str):
        email (None | str):
        line1 (str):
        line2 (None | str):
        name (str):
        postal_code (str):
    """

    city: str
    country: str
    email: None | str
    line1: str
    line2: None | str
    name: str
    postal_code: str

    def to_dict(self) -> dict[str, Any]:
        city = self.city

        country = self.country

        email: None | str
        email = self.email

        line1 = self.line1

        line2: None | str
        line2 = self.line2

        name = self.name

        postal_code = self.postal_code

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "city": city,
                "country": country,
                "email": email,
                "line1": line1,
                "line2": line2,
                "name": name,
                "postal_code": postal_code,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        city = d.pop("city")

        country = d.pop("country")

        def _parse_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        email = _parse_email(d.pop("email"))

        line1 = d.pop("line1")

        def _parse_line2(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        line2 = _parse_line2(d.pop("line2"))

        name = d.pop("name")

        postal_code = d.pop("postal_code")

        buyer = cls(
            city=city,
            country=country,
            email=email,
            line1=line1,
            line2=line2,
            name=name,
            postal_code=postal_code,
        )

        return buyer
