"""GET /api/v1/orders/export end to end: CSV and NDJSON from the read side, page after page."""

import csv
import io
import json
import uuid
from datetime import UTC, datetime

from tests.e2e.conftest import PASSWORD, assert_problem, login
from tests.e2e.test_order_saga import ADDRESS, place
from tests.polling import wait_until

HEADER = ["order_id", "created_at", "status", "customer_email", "sku", "quantity", "unit_price", "line_total",
          "shipped_amount", "returned_amount", "order_total", "order_refunded", "currency", "payment_status"]


def test_an_admin_exports_every_line_of_the_orders_as_csv_and_ndjson_a_customer_may_not(
    admin, new_customer, customer
):
    since = datetime.now(UTC).isoformat()
    user, _, api = new_customer()
    products = [admin.post("/products", json={"sku": f"EXP-{uuid.uuid4().hex[:8]}", "name": "Export", "price": "3.10",
                                              "currency": "EUR", "stock": 50}).json() for _ in range(2)]
    placed = []
    for n in range(5):  # 5 orders, 10 lines: 3 pages of 2 orders (EXPORT_PAGE_SIZE in the e2e system)
        body = {"items": [{"product_id": p["id"], "quantity": n + 1} for p in products], "shipping_address": ADDRESS,
                "payment_token": "tok_visa"}
        placed.append(api.post("/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}).json())
    query = {"format": "csv", "created_from": since}

    def exported():
        response = admin.get("/orders/export", params=query)
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.text, newline="")))
        mine = [row for row in rows[1:] if row[3] == user["email"]]
        # The read side learns of the payment and of the confirmation from separate events: wait
        # for both, the state compared below, or a later read (the NDJSON one) may differ.
        settled = all(row[2] == "confirmed" and row[HEADER.index("payment_status")] == "authorized" for row in mine)
        return (response, rows) if len(mine) == 10 and settled else None

    response, rows = wait_until(exported, what="10 confirmed and authorized lines in the export")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.text.endswith("\r\n") and "\r\n" in response.text.split("\n", 1)[0] + "\n"
    assert rows[0] == HEADER
    mine = [dict(zip(HEADER, row, strict=True)) for row in rows[1:] if row[3] == user["email"]]
    assert {row["order_id"] for row in mine} == {order["id"] for order in placed}
    first = next(row for row in mine if row["order_id"] == placed[0]["id"] and row["sku"] == products[0]["sku"])
    assert first | {"created_at": None} == {
        "order_id": placed[0]["id"], "created_at": None, "status": "confirmed", "customer_email": user["email"],
        "sku": products[0]["sku"], "quantity": "1", "unit_price": "3.10", "line_total": "3.10",
        "shipped_amount": "0.00", "returned_amount": "0.00", "order_total": "6.20", "order_refunded": "0.00",
        "currency": "EUR", "payment_status": "authorized"}
    created = [row["created_at"] for row in mine]
    assert created == sorted(created, reverse=True)  # newest first

    ndjson = admin.get("/orders/export", params={**query, "format": "ndjson"})
    assert ndjson.status_code == 200 and ndjson.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in ndjson.text.splitlines()]
    assert [line for line in lines if line["customer_email"] == user["email"]] == [
        {**row, "quantity": int(row["quantity"])} for row in mine]

    confirmed = admin.get("/orders/export", params={**query, "status": "cancelled"})
    assert user["email"] not in confirmed.text
    assert_problem(customer.get("/orders/export"), 403)
    assert_problem(admin.get("/orders/export", params={"format": "xml"}), 422)
    assert_problem(admin.get("/orders/export", params={"created_from": "yesterday"}), 422)


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(admin, anonymous, product):
    since = datetime.now(UTC).isoformat()
    emails = [f"{start}{uuid.uuid4().hex[:6]}+1@example.com" for start in ("=", "+", "-")]
    for email in emails:  # the only exported text a customer writes; tab, CR and @ can't start an email
        registered = anonymous.post("/auth/register", json={"email": email, "password": PASSWORD, "name": "N"})
        assert registered.status_code == 201, registered.text
        assert place(anonymous.as_user(login(anonymous, email, PASSWORD)["access_token"]), product).status_code == 201

    def exported():
        response = admin.get("/orders/export", params={"created_from": since})
        rows = list(csv.reader(io.StringIO(response.text, newline="")))
        return rows if len([row for row in rows[1:] if row[3].lstrip("'") in emails]) == 3 else None

    rows = wait_until(exported, what="the three orders in the export")
    assert rows[0] == HEADER
    assert sorted(row[3] for row in rows[1:] if row[3].lstrip("'") in emails) == sorted("'" + email for email in emails)
    for row in rows[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    ndjson = admin.get("/orders/export", params={"created_from": since, "format": "ndjson"}).text
    assert {json.loads(line)["customer_email"] for line in ndjson.splitlines()} >= set(emails)  # not a spreadsheet's
