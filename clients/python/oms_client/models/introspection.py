from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="Introspection")


@_attrs_define
class Introspection:
    """
    Attributes:
        active (bool):
        aud (str | Unset):
        client_id (str | Unset):
        exp (int | Unset):
        iat (int | Unset):
        iss (str | Unset):
        role (str | Unset):
        scope (str | Unset):
        sub (str | Unset):
        token_type (str | Unset):
    """

    active: bool
    aud: str | Unset = UNSET
    client_id: str | Unset = UNSET
    exp: int | Unset = UNSET
    iat: int | Unset = UNSET
    iss: str | Unset = UNSET
    role: str | Unset = UNSET
    scope: str | Unset = UNSET
    sub: str | Unset = UNSET
    token_type: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        active = self.active

        aud = self.aud

        client_id = self.client_id

        exp = self.exp

        iat = self.iat

        iss = self.iss

        role = self.role

        scope = self.scope

        sub = self.sub

        token_type = self.token_type

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "active": active,
            }
        )
        if aud is not UNSET:
            field_dict["aud"] = aud
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if exp is not UNSET:
            field_dict["exp"] = exp
        if iat is not UNSET:
            field_dict["iat"] = iat
        if iss is not UNSET:
            field_dict["iss"] = iss
        if role is not UNSET:
            field_dict["role"] = role
        if scope is not UNSET:
            field_dict["scope"] = scope
        if sub is not UNSET:
            field_dict["sub"] = sub
        if token_type is not UNSET:
            field_dict["token_type"] = token_type

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        active = d.pop("active")

        aud = d.pop("aud", UNSET)

        client_id = d.pop("client_id", UNSET)

        exp = d.pop("exp", UNSET)

        iat = d.pop("iat", UNSET)

        iss = d.pop("iss", UNSET)

        role = d.pop("role", UNSET)

        scope = d.pop("scope", UNSET)

        sub = d.pop("sub", UNSET)

        token_type = d.pop("token_type", UNSET)

        introspection = cls(
            active=active,
            aud=aud,
            client_id=client_id,
            exp=exp,
            iat=iat,
            iss=iss,
            role=role,
            scope=scope,
            sub=sub,
            token_type=token_type,
        )

        return introspection
