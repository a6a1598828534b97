from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.endpoint_update_event_types_item import EndpointUpdateEventTypesItem
from ..types import UNSET, Unset

T = TypeVar("T", bound="EndpointUpdate")


@_attrs_define
class EndpointUpdate:
    """
    Attributes:
        description (str | Unset):
        enabled (bool | Unset):
        event_types (list[EndpointUpdateEventTypesItem] | Unset):
        url (str | Unset): http(s)://host[:port][/path]; in production mode https to a public address
    """

    description: str | Unset = UNSET
    enabled: bool | Unset = UNSET
    event_types: list[EndpointUpdateEventTypesItem] | Unset = UNSET
    url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        description = self.description

        enabled = self.enabled

        event_types: list[str] | Unset = UNSET
        if not isinstance(self.event_types, Unset):
            event_types = []
            for event_types_item_data in self.event_types:
                event_types_item = event_types_item_data.value
                event_types.append(event_types_item)

        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if description is not UNSET:
            field_dict["description"] = description
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if event_types is not UNSET:
            field_dict["event_types"] = event_types
        if url is not UNSET:
            field_dict["url"] = url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        description = d.pop("description", UNSET)

        enabled = d.pop("enabled", UNSET)

        _event_types = d.pop("event_types", UNSET)
        event_types: list[EndpointUpdateEventTypesItem] | Unset = UNSET
        if _event_types is not UNSET:
            event_types = []
            for event_types_item_data in _event_types:
                event_types_item = EndpointUpdateEventTypesItem(event_types_item_data)

                event_types.append(event_types_item)

        url = d.pop("url", UNSET)

        endpoint_update = cls(
            description=description,
            enabled=enabled,
            event_types=event_types,
            url=url,
        )

        return endpoint_update
