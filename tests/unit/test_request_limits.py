"""The gateway's JSON parse (gateway/request_limits.py): what it refuses, as a ValueError, which
Flask's `get_json` turns into a 400 problem."""

import pytest
from flask import Flask

from gateway.request_limits import MAX_JSON_DEPTH, StrictJSONProvider, UnacceptableJson, nul_at

PROVIDER = StrictJSONProvider(Flask(__name__))


@pytest.mark.parametrize(
    "text",
    ["[" * 10_000 + "]" * 10_000, '{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1),
     "[NaN]", '{"x": -Infinity}', "1e400", '{"price": -1e999}'],
)
def test_too_deep_or_not_finite_is_refused(text):
    with pytest.raises(UnacceptableJson):
        PROVIDER.loads(text)


def test_what_a_route_takes_loads_as_json_says():
    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert PROVIDER.loads(deepest) is not None
    assert PROVIDER.loads(b'{"items": [{"quantity": 2, "ratio": 1.5e10}], "name": "a\\u0000b"}') == {
        "items": [{"quantity": 2, "ratio": 1.5e10}], "name": "a\x00b"}  # NUL: the schemas' to refuse (422)


def test_a_nul_is_found_in_any_string_or_key_and_named_by_its_place():
    assert nul_at({"items": [{"sku": "ok"}, {"sku": "a\x00"}]}) == "items.1.sku"
    assert nul_at({"shipping_address": {"line\x002": "x"}}) == "shipping_address (a key)"
    assert nul_at("\x00") == "(the body)"
    assert nul_at({"items": [{"quantity": 2}], "name": "ok"}) is None
