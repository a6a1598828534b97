"""RPC payloads of the payments service."""

from marshmallow import Schema, fields

from plumbing.money import Price


class PaymentSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    status = fields.String()
    amount = Price()
    currency = fields.String()
    created_at = fields.DateTime()
