from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.product_create_currency import ProductCreateCurrency
from ..types import UNSET, Unset

T = TypeVar("T", bound="ProductCreate")


@_attrs_define
class ProductCreate:
    """
    Attributes:
        currency (ProductCreateCurrency):
        name (str):
        price (str): A decimal string from 0.01 to 9999999999.99. Example: 19.99.
        sku (str):
        stock (int):
        description (str | Unset):  Default: ''.
    """

    currency: ProductCreateCurrency
    name: str
    price: str
    sku: str
    stock: int
    description: str | Unset = ""

    def to_dict(self) -> dict[str, Any]:
        currency = self.currency.value

        name = self.name

        price = self.price

        sku = self.sku

        stock = self.stock

        description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "currency": currency,
                "name": name,
                "price": price,
                "sku": sku,
                "stock": stock,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        currency = ProductCreateCurrency(d.pop("currency"))

        name = d.pop("name")

        price = d.pop("price")

        sku = d.pop("sku")

        stock = d.pop("stock")

        description = d.pop("description", UNSET)

        product_create = cls(
            currency=currency,
            name=name,
            price=price,
            sku=sku,
            stock=stock,
            description=description,
        )

        return product_create
