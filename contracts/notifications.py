"""RPC payloads of the notifications service."""

from marshmallow import Schema, fields


class NotificationSchema(Schema):
    id = fields.String()
    user_id = fields.String()
    event = fields.String()
    channel = fields.String()
    subject = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
