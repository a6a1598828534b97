"""Integers in JSON bodies mean what the OpenAPI document's `type: integer` means."""

import pytest
from marshmallow import Schema, ValidationError

from wire.validation import JsonInteger


class QuantitySchema(Schema):
    quantity = JsonInteger(required=True)


@pytest.mark.parametrize("sent", [3, 3.0])
def test_a_number_without_a_fraction_is_an_integer(sent):
    loaded = QuantitySchema().load({"quantity": sent})["quantity"]
    assert loaded == 3 and type(loaded) is int


@pytest.mark.parametrize("sent", [3.5, "3", True, False, [3]])
def test_a_fraction_a_string_or_a_boolean_is_refused(sent):
    with pytest.raises(ValidationError, match="Not a valid integer"):
        QuantitySchema().load({"quantity": sent})
