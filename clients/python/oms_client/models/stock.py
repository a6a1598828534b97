from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Stock")


@_attrs_define
class Stock:
    """
    Attributes:
        stock (int):
    """

    stock: int

    def to_dict(self) -> dict[str, Any]:
        stock = self.stock

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "stock": stock,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        stock = d.pop("stock")

        stock = cls(
            stock=stock,
        )

        return stock
