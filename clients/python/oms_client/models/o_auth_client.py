from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="OAuthClient")


@_attrs_define
class OAuthClient:
    """
    Attributes:
        client_id (str):
        created_at (datetime.datetime):
        managed (bool): A service's own client, kept as config says: it can't be revoked or rotated here.
        name (str):
        revoked_at (datetime.datetime | None):
        scopes (list[str]):
        secret_rotated_at (datetime.datetime):
    """

    client_id: str
    created_at: datetime.datetime
    managed: bool
    name: str
    revoked_at: datetime.datetime | None
    scopes: list[str]
    secret_rotated_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        client_id = self.client_id

        created_at = self.created_at.isoformat()

        managed = self.managed

        name = self.name

        revoked_at: None | str
        if isinstance(self.revoked_at, datetime.datetime):
            revoked_at = self.revoked_at.isoformat()
        else:
            revoked_at = self.revoked_at

        scopes = self.scopes

        secret_rotated_at = self.secret_rotated_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "client_id": client_id,
                "created_at": created_at,
                "managed": managed,
                "name": name,
                "revoked_at": revoked_at,
                "scopes": scopes,
                "secret_rotated_at": secret_rotated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        client_id = d.pop("client_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        managed = d.pop("managed")

        name = d.pop("name")

        def _parse_revoked_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                revoked_at_type_0 = datetime.datetime.fromisoformat(data)

                return revoked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at"))

        scopes = cast(list[str], d.pop("scopes"))

        secret_rotated_at = datetime.datetime.fromisoformat(d.pop("secret_rotated_at"))

        o_auth_client = cls(
            client_id=client_id,
            created_at=created_at,
            managed=managed,
            name=name,
            revoked_at=revoked_at,
            scopes=scopes,
            secret_rotated_at=secret_rotated_at,
        )

        return o_auth_client
