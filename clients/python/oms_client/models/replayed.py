from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Replayed")


@_attrs_define
class Replayed:
    """
    Attributes:
        replayed (int): failed deliveries queued again
    """

    replayed: int

    def to_dict(self) -> dict[str, Any]:
        replayed = self.replayed

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "replayed": replayed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        replayed = d.pop("replayed")

        replayed = cls(
            replayed=replayed,
        )

        return replayed
