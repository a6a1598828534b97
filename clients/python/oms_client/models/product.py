from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Product")


@_attrs_define
class Product:
    """
    Attributes:
        created_at (datetime.datetime):
        currency (str):
        description (str):
        id (str):
        name (str):
        price (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
        sku (str):
        stock (int):
        updated_at (datetime.datetime):
    """

    created_at: datetime.datetime
    currency: str
    description: str
    id: str
    name: str
    price: str
    sku: str
    stock: int
    updated_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        currency = self.currency

        description = self.description

        id = self.id

        name = self.name

        price = self.price

        sku = self.sku

        stock = self.stock

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "created_at": created_at,
                "currency": currency,
                "description": description,
                "id": id,
                "name": name,
                "price": price,
                "sku": sku,
                "stock": stock,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        currency = d.pop("currency")

        description = d.pop("description")

        id = d.pop("id")

        name = d.pop("name")

        price = d.pop("price")

        sku = d.pop("sku")

        stock = d.pop("stock")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        product = cls(
            created_at=created_at,
            currency=currency,
            description=description,
            id=id,
            name=name,
            price=price,
            sku=sku,
            stock=stock,
            updated_at=updated_at,
        )

        return product
