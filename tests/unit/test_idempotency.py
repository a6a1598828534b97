"""The create-order body hash behind Idempotency-Key (orders/idempotency.py), without I/O."""

from decimal import Decimal

from orders.idempotency import request_hash

BODY = {
    "items": [{"product_id": "p-1", "quantity": 2}],
    "shipping_address": {"name": "Ada", "line1": "1 Road", "city": "Town", "postal_code": "1", "country": "DE"},
    "payment_token": "tok_visa",
}


def test_the_same_body_hashes_the_same_whatever_its_key_order():
    reordered = {key: BODY[key] for key in reversed(list(BODY))}
    assert request_hash(reordered) == request_hash(BODY)
    assert len(request_hash(BODY)) == 64 and int(request_hash(BODY), 16) >= 0


def test_any_change_to_the_body_changes_the_hash():
    other_quantity = {**BODY, "items": [{"product_id": "p-1", "quantity": 3}]}
    other_token = {**BODY, "payment_token": "tok_other"}
    hashes = {request_hash(body) for body in (BODY, other_quantity, other_token)}
    assert len(hashes) == 3


def test_the_order_of_items_is_part_of_the_body():
    two = [{"product_id": "p-1", "quantity": 1}, {"product_id": "p-2", "quantity": 1}]
    assert request_hash({**BODY, "items": two}) != request_hash({**BODY, "items": two[::-1]})


def test_values_the_schema_loaded_as_objects_hash_by_their_text():
    assert request_hash({"amount": Decimal("1.50")}) == request_hash({"amount": "1.50"})
