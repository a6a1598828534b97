"""RPC payloads of the notifications service."""

from marshmallow import Schema, fields


class NotificationSchema(Schema):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    event = fields.String(required=True)
    channel = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)
