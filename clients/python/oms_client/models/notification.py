from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Notification")


@_attrs_define
class Notification:
    """
    Attributes:
        body (str):
        channel (str):
        created_at (datetime.datetime):
        event (str):
        id (str):
        subject (str):
        user_id (str):
    """

    body: str
    channel: str
    created_at: datetime.datetime
    event: str
    id: str
    subject: str
    user_id: str

    def to_dict(self) -> dict[str, Any]:
        body = self.body

        channel = self.channel

        created_at = self.created_at.isoformat()

        event = self.event

        id = self.id

        subject = self.subject

        user_id = self.user_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "body": body,
                "channel": channel,
                "created_at": created_at,
                "event": event,
                "id": id,
                "subject": subject,
                "user_id": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        body = d.pop("body")

        channel = d.pop("channel")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        event = d.pop("event")

        id = d.pop("id")

        subject = d.pop("subject")

        user_id = d.pop("user_id")

        notification = cls(
            body=body,
            channel=channel,
            created_at=created_at,
            event=event,
            id=id,
            subject=subject,
            user_id=user_id,
        )

        return notification
