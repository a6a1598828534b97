"""RPC payloads of the products service."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from plumbing.money import Currency, Price
from plumbing.pagination import PageQuerySchema

MAX_STOCK = 1_000_000_000
SKU = dict(validate=[validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")])
NAME = dict(validate=validate.Length(min=1, max=200))
DESCRIPTION = dict(validate=validate.Length(max=5000))
STOCK = dict(strict=True, validate=validate.Range(min=0, max=MAX_STOCK))


class ProductCreateSchema(Schema):
    sku = fields.String(required=True, **SKU)
    name = fields.String(required=True, **NAME)
    description = fields.String(load_default="", **DESCRIPTION)
    price = Price(required=True)
    currency = Currency(required=True)
    stock = fields.Integer(required=True, **STOCK)


class ProductUpdateSchema(Schema):
    sku = fields.String(**SKU)
    name = fields.String(**NAME)
    description = fields.String(**DESCRIPTION)
    price = Price()
    currency = Currency()


class StockSchema(Schema):
    stock = fields.Integer(required=True, **STOCK)


class StockAdjustmentSchema(Schema):
    delta = fields.Integer(required=True, strict=True, validate=validate.Range(min=-MAX_STOCK, max=MAX_STOCK))


class ProductQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(min=1, max=200))
    min_price = Price()
    max_price = Price()
    in_stock = fields.Boolean()
    currency = Currency()

    @validates_schema
    def price_range_is_ordered(self, data, **kwargs):
        if "min_price" in data and "max_price" in data and data["min_price"] > data["max_price"]:
            raise ValidationError("min_price is above max_price.", "min_price")


class ProductSchema(Schema):
    id = fields.String()
    sku = fields.String()
    name = fields.String()
    description = fields.String()
    price = Price()
    currency = fields.String()
    stock = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PriceChangeSchema(Schema):
    price = Price()
    currency = fields.String()
    effective_at = fields.DateTime()
