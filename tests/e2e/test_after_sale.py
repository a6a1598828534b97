"""After the sale, end to end through HTTP (issue 24): an order's card is authorized when it is
placed, captured parcel by parcel as it ships (an invoice per capture), voided for the lines
cancelled before they ship, and refunded for the units returned or as a goodwill gesture (a credit
note per refund). Every admin action answers a replay of its Idempotency-Key the same, doing
nothing twice. The package's invariants check runs after these too (tests/e2e/conftest.py)."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.conftest import assert_problem
from tests.e2e.test_order_saga import ADDRESS, stock_of, wait_for_status
from tests.polling import wait_until
from tests.stores import backdate_deliveries, expire_authorization


def key() -> dict:
    return {"Idempotency-Key": uuid.uuid4().hex}


def lines(*quantities: tuple[dict, int]) -> list[dict]:
    return [{"product_id": product["id"], "quantity": quantity} for product, quantity in quantities]


def confirmed_order(api, *quantities: tuple[dict, int], token: str = "tok_visa") -> dict:
    """An order of (product, quantity) lines, once its payment is authorized."""
    body = {"items": lines(*quantities), "shipping_address": ADDRESS, "payment_token": token}
    response = api.post("/orders", json=body, headers=key())
    assert response.status_code == 201, response.text
    return wait_for_status(api, response.json()["id"], "confirmed")


def ship(admin, order_id: str, *quantities: tuple[dict, int], headers: dict | None = None, tracking="TRACK-1"):
    body = {"items": lines(*quantities), "carrier": "DHL", "tracking_number": tracking}
    return admin.post(f"/orders/{order_id}/shipments", json=body, headers=headers or key())


def shipped(admin, order_id: str, *quantities: tuple[dict, int], tracking="TRACK-1") -> dict:
    response = ship(admin, order_id, *quantities, tracking=tracking)
    assert response.status_code == 201, response.text
    return response.json()


def delivered_order(api, admin, *quantities: tuple[dict, int]) -> dict:
    """An order shipped and delivered whole, through the routes that ship and deliver everything."""
    order = confirmed_order(api, *quantities)
    assert admin.post(f"/orders/{order['id']}/ship").json()["status"] == "shipped"
    assert admin.post(f"/orders/{order['id']}/deliver").json()["status"] == "delivered"
    return order


def payment_of(api, order_id: str) -> dict:
    response = api.get(f"/orders/{order_id}/payment")
    assert response.status_code == 200, response.text
    return response.json()


def ledger(payment: dict) -> tuple[str, str, str, str]:
    return payment["authorized"], payment["captured"], payment["refunded"], payment["voided"]


def succeeded(payment: dict, operation_type: str) -> list[dict]:
    return [op for op in payment["operations"] if op["type"] == operation_type and op["status"] == "succeeded"]


def line_of(order: dict, product: dict) -> dict:
    [line] = [item for item in order["items"] if item["product_id"] == product["id"]]
    return line


def line_quantities(order: dict, product: dict) -> tuple[int, int, int, int]:
    line = line_of(order, product)
    return (line["shipped_quantity"], line["cancelled_quantity"], line["delivered_quantity"],
            line["returned_quantity"])


def names_line(problem: dict, product: dict) -> bool:
    """Whether a 409 says which line it refuses (by product id or SKU)."""
    said = json.dumps({"detail": problem.get("detail"), "errors": problem.get("errors")})
    return product["id"] in said or product["sku"] in said


def status_moves(api, order_id: str) -> list[tuple[str | None, str]]:
    """The order's status changes; entries that keep the status (a return's step, a refund) left out."""
    history = api.get(f"/orders/{order_id}/history", params={"page_size": 100}).json()["items"]
    return [(h["from_status"], h["to_status"]) for h in history if h["from_status"] != h["to_status"]]


def documents_of(api, order_id: str) -> dict:
    response = api.get(f"/orders/{order_id}/documents")
    assert response.status_code == 200, response.text
    return response.json()


def request_return(api, order_id: str, *quantities: tuple[dict, int], headers: dict | None = None):
    items = [{**line, "reason": "damaged"} for line in lines(*quantities)]
    return api.post(f"/orders/{order_id}/returns", json={"items": items, "note": "cracked"},
                    headers=headers or key())


def test_two_shipments_capture_and_invoice_each_parcel_then_the_order_is_delivered(customer, admin, product,
                                                                                   gadget):
    order = confirmed_order(customer, (product, 2), (gadget, 1))
    assert order["total"] == "44.98"
    payment = payment_of(customer, order["id"])
    assert payment["status"] == "authorized"
    assert ledger(payment) == ("44.98", "0.00", "0.00", "0.00")
    assert_problem(ship(customer, order["id"], (product, 2)), 403)

    first = shipped(admin, order["id"], (product, 2), tracking="TRACK-A")
    assert first["status"] == "shipped" and first["order_id"] == order["id"]
    assert (first["amount"], first["carrier"], first["tracking_number"]) == ("39.98", "DHL", "TRACK-A")
    assert [(i["product_id"], i["quantity"], i["line_total"]) for i in first["items"]] == [
        (product["id"], 2, "39.98")]
    assert first["shipped_at"] is not None and first["delivered_at"] is None and first["invoice_number"]
    after_first = customer.get(f"/orders/{order['id']}").json()
    assert after_first["status"] == "partially_shipped"
    assert line_quantities(after_first, product) == (2, 0, 0, 0)
    assert line_quantities(after_first, gadget) == (0, 0, 0, 0)
    payment = payment_of(customer, order["id"])
    assert payment["status"] == "partially_captured"
    assert ledger(payment) == ("44.98", "39.98", "0.00", "0.00")

    second = shipped(admin, order["id"], (gadget, 1), tracking="TRACK-B")
    assert second["amount"] == "5.00" and second["invoice_number"] != first["invoice_number"]
    assert customer.get(f"/orders/{order['id']}").json()["status"] == "shipped"
    payment = payment_of(customer, order["id"])
    assert payment["status"] == "captured"
    assert ledger(payment) == ("44.98", "44.98", "0.00", "0.00")
    assert [(op["type"], op["amount"]) for op in payment["operations"] if op["status"] == "succeeded"] == [
        ("authorize", "44.98"), ("capture", "39.98"), ("capture", "5.00")]
    # An invoice per capture: what each parcel delivered and charged.
    invoices = documents_of(customer, order["id"])["invoices"]
    assert [(inv["number"], inv["gross_total"]) for inv in invoices] == [
        (first["invoice_number"], "39.98"), (second["invoice_number"], "5.00")]
    assert [[line["sku"] for line in inv["lines"]] for inv in invoices] == [[product["sku"]], [gadget["sku"]]]
    assert customer.get(f"/orders/{order['id']}/invoice").json()["number"] == first["invoice_number"]
    assert [s["id"] for s in customer.get(f"/orders/{order['id']}/shipments").json()] == [first["id"], second["id"]]

    delivered_first = admin.post(f"/orders/{order['id']}/shipments/{first['id']}/deliver", headers=key())
    assert delivered_first.status_code == 200, delivered_first.text
    assert delivered_first.json()["status"] == "delivered" and delivered_first.json()["delivered_at"]
    assert customer.get(f"/orders/{order['id']}").json()["status"] == "shipped"  # one parcel still out
    admin.post(f"/orders/{order['id']}/shipments/{second['id']}/deliver", headers=key())
    final = customer.get(f"/orders/{order['id']}").json()
    assert final["status"] == "delivered"
    assert line_quantities(final, product) == (2, 0, 2, 0) and line_quantities(final, gadget) == (1, 0, 1, 0)
    assert status_moves(customer, order["id"]) == [
        (None, "pending_payment"), ("pending_payment", "confirmed"), ("confirmed", "partially_shipped"),
        ("partially_shipped", "shipped"), ("shipped", "delivered")]
    assert (stock_of(admin, product), stock_of(admin, gadget)) == (8, 9)
    wait_until(lambda: all(any(tracking in n["body"] for n in customer.get("/notifications").json()["items"])
                           for tracking in ("TRACK-A", "TRACK-B")),
               what="a mail per shipment with its tracking number")


def test_a_capture_failing_on_the_second_shipment_ships_nothing_of_it(config, customer, admin, product, gadget):
    """tok_visa's re-authorizations succeed, so the failure is arranged with the token whose
    re-authorization is declined: the first parcel captures within the authorization; the
    authorization then lapses, and the second parcel's capture must re-authorize first."""
    order = confirmed_order(customer, (product, 2), (gadget, 1), token="tok_reauthorization_declined")
    first = shipped(admin, order["id"], (product, 2))
    expire_authorization(config, order["id"])

    attempt = key()
    refused = assert_problem(ship(admin, order["id"], (gadget, 1), headers=attempt), 409)
    assert "declined" in refused["detail"]
    replayed = assert_problem(ship(admin, order["id"], (gadget, 1), headers=attempt), 409)
    assert (replayed["detail"], replayed.get("errors")) == (refused["detail"], refused.get("errors"))
    after = customer.get(f"/orders/{order['id']}").json()
    assert after["status"] == "partially_shipped"
    assert line_quantities(after, gadget) == (0, 0, 0, 0)  # its units given back to ship later
    shipments = customer.get(f"/orders/{order['id']}/shipments").json()
    assert [(s["id"] == first["id"], s["status"]) for s in shipments] == [(True, "shipped"), (False, "failed")]
    payment = payment_of(customer, order["id"])
    assert ledger(payment)[1] == "39.98" and len(succeeded(payment, "capture")) == 1
    assert [op["status"] for op in payment["operations"] if op["type"] == "reauthorize"] == ["failed"]
    assert len(documents_of(customer, order["id"])["invoices"]) == 1
    assert stock_of(admin, gadget) == 9  # still the order's: the line may yet be shipped or cancelled


def test_a_capture_failing_on_the_first_shipment_leaves_the_order_confirmed(customer, admin, product):
    order = confirmed_order(customer, (product, 2), token="tok_capture_fails")
    refused = assert_problem(ship(admin, order["id"], (product, 1)), 409)
    assert "declined" in refused["detail"]
    after = customer.get(f"/orders/{order['id']}").json()
    assert after["status"] == "confirmed" and line_quantities(after, product) == (0, 0, 0, 0)
    payment = payment_of(customer, order["id"])
    assert ledger(payment) == ("39.98", "0.00", "0.00", "0.00") and succeeded(payment, "capture") == []
    assert documents_of(customer, order["id"])["invoices"] == []
    assert customer.post(f"/orders/{order['id']}/cancel").status_code == 200
    wait_for_status(customer, order["id"], "refunded")  # the authorization voided
    assert ledger(payment_of(customer, order["id"])) == ("39.98", "0.00", "0.00", "39.98")
    wait_until(lambda: stock_of(admin, product) == 10, what="the stock back")


def test_cancelling_one_line_of_two_voids_its_amount_returns_its_stock_and_the_other_ships(customer, admin,
                                                                                          product, gadget):
    order = confirmed_order(customer, (product, 2), (gadget, 1))
    assert (stock_of(admin, product), stock_of(admin, gadget)) == (8, 9)

    cancelled = customer.post(f"/orders/{order['id']}/cancel-items",
                              json={"items": lines((gadget, 1)), "reason": "out of colour"}, headers=key())
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "confirmed"
    assert line_quantities(cancelled.json(), gadget) == (0, 1, 0, 0)
    wait_until(lambda: stock_of(admin, gadget) == 10, what="the cancelled unit back in stock")
    wait_until(lambda: payment_of(customer, order["id"])["voided"] == "5.00", what="its amount voided")
    too_many = assert_problem(customer.post(f"/orders/{order['id']}/cancel-items", json={"items": lines((gadget, 1))},
                                            headers=key()), 409)
    assert names_line(too_many, gadget)
    assert_problem(ship(admin, order["id"], (gadget, 1)), 409)

    parcel = shipped(admin, order["id"], (product, 2))
    assert parcel["amount"] == "39.98"
    assert customer.get(f"/orders/{order['id']}").json()["status"] == "shipped"  # nothing left to ship
    payment = payment_of(customer, order["id"])
    assert payment["status"] == "captured"
    assert ledger(payment) == ("44.98", "39.98", "0.00", "5.00")
    assert [op["amount"] for op in succeeded(payment, "void")] == ["5.00"]
    assert (stock_of(admin, product), stock_of(admin, gadget)) == (8, 10)


def test_returning_one_unit_of_two_restocks_it_and_refunds_its_price_with_a_credit_note(customer, admin,
                                                                                       product):
    order = delivered_order(customer, admin, (product, 2))
    assert stock_of(admin, product) == 8

    requested = request_return(customer, order["id"], (product, 1))
    assert requested.status_code == 201, requested.text
    rma = requested.json()
    assert (rma["order_id"], rma["status"], rma["refund_amount"], rma["note"]) == (order["id"], "requested", None,
                                                                                 "cracked")
    assert [(i["product_id"], i["quantity"], i["reason"]) for i in rma["items"]] == [(product["id"], 1, "damaged")]
    assert [r["id"] for r in customer.get(f"/orders/{order['id']}/returns").json()] == [rma["id"]]
    assert_problem(customer.post(f"/returns/{rma['id']}/approve", headers=key()), 403)

    approved = admin.post(f"/returns/{rma['id']}/approve", headers=key())
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    received = admin.post(f"/returns/{rma['id']}/receive",
                          json={"items": [{"product_id": product["id"], "quantity": 1, "restock": True}]},
                          headers=key())
    assert received.status_code == 200, received.text
    assert (received.json()["status"], received.json()["refund_amount"]) == ("received", "19.99")

    payment = wait_until(lambda: (p := payment_of(customer, order["id"]))["refunded"] == "19.99" and p,
                         what="the returned unit refunded")
    assert payment["status"] == "partially_refunded"
    assert ledger(payment) == ("39.98", "39.98", "19.99", "0.00")
    assert [(op["amount"], op["reference"]) for op in succeeded(payment, "refund")] == [("19.99", rma["id"])]
    credit_notes = wait_until(lambda: documents_of(customer, order["id"])["credit_notes"], what="the credit note")
    [credit_note] = credit_notes
    assert credit_note["gross_total"] == "19.99"
    assert [(line["sku"], line["quantity"]) for line in credit_note["lines"]] == [(product["sku"], 1)]
    assert customer.get(f"/orders/{order['id']}/credit-note").json()["number"] == credit_note["number"]
    wait_until(lambda: stock_of(admin, product) == 9, what="the returned unit back on sale")

    after = customer.get(f"/orders/{order['id']}").json()
    assert after["status"] == "delivered" and line_quantities(after, product) == (2, 0, 2, 1)
    history = customer.get(f"/orders/{order['id']}/history", params={"page_size": 100}).json()["items"]
    assert len([h for h in history if h["from_status"] == h["to_status"] == "delivered"]) >= 3  # the return's steps
    wait_until(lambda: "payment_refunded" in {n["event"] for n in customer.get("/notifications").json()["items"]},
               what="the refund mail")


def test_a_return_past_the_window_is_refused_naming_the_line(config, customer, admin, product):
    order = delivered_order(customer, admin, (product, 1))
    backdate_deliveries(config, order["id"], int(config["RETURN_WINDOW_DAYS"]) + 1)
    refused = assert_problem(request_return(customer, order["id"], (product, 1)), 409)
    assert names_line(refused, product)
    assert customer.get(f"/orders/{order['id']}/returns").json() == []
    # Its deliveries moved in orders' database behind the events' back: deleted, the read side
    # (which the rebuild test compares with the command side) doesn't keep the stale time.
    assert admin.delete(f"/orders/{order['id']}").status_code == 204


def test_a_return_of_more_than_was_delivered_is_refused_naming_the_line(customer, admin, product):
    order = confirmed_order(customer, (product, 3))
    parcel = shipped(admin, order["id"], (product, 2))
    assert_problem(request_return(customer, order["id"], (product, 1)), 409)  # shipped, not yet delivered
    admin.post(f"/orders/{order['id']}/shipments/{parcel['id']}/deliver", headers=key())

    assert names_line(assert_problem(request_return(customer, order["id"], (product, 3)), 409), product)
    first = request_return(customer, order["id"], (product, 2))
    assert first.status_code == 201, first.text
    # Units already in a return aren't asked for twice, unless that return is rejected.
    assert names_line(assert_problem(request_return(customer, order["id"], (product, 1)), 409), product)
    rejected = admin.post(f"/returns/{first.json()['id']}/reject", json={"reason": "worn"}, headers=key())
    assert rejected.json()["status"] == "rejected", rejected.text
    assert request_return(customer, order["id"], (product, 1)).status_code == 201


def test_every_admin_action_replayed_with_its_key_answers_the_same_and_does_nothing_twice(customer, admin,
                                                                                          product, gadget):
    order = confirmed_order(customer, (product, 2), (gadget, 2))
    order_path = f"/orders/{order['id']}"

    def twice(method, path: str, body: dict | None = None, api=admin) -> dict:
        headers = key()
        first = api.request(method, path, json=body, headers=dict(headers))
        again = api.request(method, path, json=body, headers=dict(headers))
        assert first.status_code == again.status_code and first.status_code in (200, 201), first.text
        assert again.json() == first.json()
        return first.json()

    cancelled = twice("POST", f"{order_path}/cancel-items", {"items": lines((gadget, 1))}, api=customer)
    assert line_quantities(cancelled, gadget) == (0, 1, 0, 0)
    parcel_key = key()
    parcel = ship(admin, order["id"], (product, 2), (gadget, 1), headers=dict(parcel_key))
    assert parcel.status_code == 201, parcel.text
    again = ship(admin, order["id"], (product, 2), (gadget, 1), headers=dict(parcel_key))
    assert (again.status_code, again.json()) == (201, parcel.json())
    assert_problem(ship(admin, order["id"], (product, 1), headers=dict(parcel_key)), 422)  # another body
    parcel = parcel.json()
    twice("POST", f"{order_path}/shipments/{parcel['id']}/deliver")
    assert customer.get(order_path).json()["status"] == "delivered"

    rma = twice("POST", f"{order_path}/returns", {"items": [{**lines((product, 1))[0], "reason": "wrong_item"}]},
                api=customer)
    twice("POST", f"/returns/{rma['id']}/approve")
    received = twice("POST", f"/returns/{rma['id']}/receive",
                     {"items": [{"product_id": product["id"], "quantity": 1, "restock": True}]})
    assert received["refund_amount"] == "19.99"
    wait_until(lambda: payment_of(customer, order["id"])["refunded"] == "19.99", what="the return refunded")
    other = request_return(customer, order["id"], (product, 1))
    assert other.status_code == 201, other.text
    other = other.json()
    assert twice("POST", f"/returns/{other['id']}/reject", {"reason": "no receipt"})["status"] == "rejected"
    twice("POST", f"{order_path}/refunds", {"amount": "1.00", "reason": "late parcel"})

    assert [s["id"] for s in customer.get(f"{order_path}/shipments").json()] == [parcel["id"]]
    assert [r["status"] for r in customer.get(f"{order_path}/returns").json()] == ["received", "rejected"]
    payment = payment_of(customer, order["id"])
    assert ledger(payment) == ("49.98", "44.98", "20.99", "5.00")
    assert [op["amount"] for op in succeeded(payment, "capture")] == ["44.98"]
    assert [op["amount"] for op in succeeded(payment, "void")] == ["5.00"]
    assert sorted(op["amount"] for op in succeeded(payment, "refund")) == ["1.00", "19.99"]
    documents = wait_until(lambda: (d := documents_of(customer, order["id"])) and len(d["credit_notes"]) == 2 and d,
                           what="a credit note per refund")
    assert len(documents["invoices"]) == 1
    wait_until(lambda: stock_of(admin, product) == 9, what="the returned unit restocked")
    wait_until(lambda: stock_of(admin, gadget) == 9, what="the cancelled unit released")
    after = customer.get(order_path).json()
    assert line_quantities(after, product) == (2, 0, 2, 1) and line_quantities(after, gadget) == (1, 1, 1, 0)


def test_concurrent_shipments_for_the_last_units_of_a_line_ship_only_what_remains(customer, admin, product,
                                                                                   gadget):
    # The gadget stays unshipped through the race, so the order stays partially shipped: every
    # refusal is for the line, none for the order's status.
    order = confirmed_order(customer, (product, 5), (gadget, 1))
    shipped(admin, order["id"], (product, 2))
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda _: ship(admin, order["id"], (product, 1)), range(6)))
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 3, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert names_line(response.json(), product)
    after = customer.get(f"/orders/{order['id']}").json()
    assert after["status"] == "partially_shipped" and line_quantities(after, product) == (5, 0, 0, 0)
    assert [s["status"] for s in customer.get(f"/orders/{order['id']}/shipments").json()] == ["shipped"] * 4
    payment = payment_of(customer, order["id"])
    assert ledger(payment) == ("104.95", "99.95", "0.00", "0.00") and len(succeeded(payment, "capture")) == 4
    assert len(documents_of(customer, order["id"])["invoices"]) == 4
    assert names_line(assert_problem(ship(admin, order["id"], (product, 1)), 409), product)
    shipped(admin, order["id"], (gadget, 1))
    assert customer.get(f"/orders/{order['id']}").json()["status"] == "shipped"


def test_a_goodwill_refund_beyond_what_was_captured_and_not_refunded_is_refused(customer, admin, product):
    order = confirmed_order(customer, (product, 2))
    refunds = f"/orders/{order['id']}/refunds"
    assert_problem(admin.post(refunds, json={"amount": "0.01", "reason": "nothing captured yet"}, headers=key()), 409)
    shipped(admin, order["id"], (product, 1))
    assert_problem(customer.post(refunds, json={"amount": "1.00", "reason": "mine"}, headers=key()), 403)

    granted = admin.post(refunds, json={"amount": "10.00", "reason": "late parcel"}, headers=key())
    assert granted.status_code == 201, granted.text
    assert ledger(granted.json()) == ("39.98", "19.99", "10.00", "0.00")
    # 9.99 is left of the 19.99 captured.
    assert_problem(admin.post(refunds, json={"amount": "10.00", "reason": "again"}, headers=key()), 409)
    assert admin.post(refunds, json={"amount": "9.99", "reason": "the rest"}, headers=key()).status_code == 201
    assert ledger(payment_of(customer, order["id"])) == ("39.98", "19.99", "19.99", "0.00")
    [first, _] = wait_until(lambda: (notes := documents_of(customer, order["id"])["credit_notes"]) and len(notes) == 2
                            and notes, what="a credit note per refund")
    assert first["gross_total"] == "10.00" and first["lines"][0]["name"] == "Goodwill refund: late parcel"
