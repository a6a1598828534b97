"""Invoices and credit notes through the gateway, with every service running as a process: an
invoice issued as a parcel's amount is captured, a credit note per refund, readable by their
customer and admins only, as JSON and as PDF downloads."""

import re
import subprocess
import uuid

import pytest

from tests.e2e.conftest import assert_problem
from tests.e2e.test_after_sale import confirmed_order, key, shipped
from tests.e2e.test_order_saga import place, wait_for_status
from tests.polling import wait_until

NUMBER = re.compile(r"^INV-\d{4}-\d{6}$")


def invoice_of(api, order_id: str) -> dict:
    def issued():
        response = api.get(f"/orders/{order_id}/invoice")
        return response.json() if response.status_code == 200 else None

    return wait_until(issued, what=f"the invoice of order {order_id}")


def pdf_text(response, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(response.content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def paid_order(new_customer, admin, product):
    """An order of 3 × 19.99 EUR to Germany shipped in one parcel (so captured and invoiced), its
    customer (user, api) and its invoice."""
    user, _, api = new_customer("Łukasz Müller")
    body = {"items": [{"product_id": product["id"], "quantity": 3}], "payment_token": "tok_visa",
            "shipping_address": {"name": "Łukasz Müller 日本", "line1": "Große Straße 5", "city": "Köln",
                                 "postal_code": "50667", "country": "DE"}}
    response = api.post("/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    order = wait_for_status(api, response.json()["id"], "confirmed")
    assert_problem(api.get(f"/orders/{order['id']}/invoice"), 404)  # authorized, nothing captured yet
    order = admin.post(f"/orders/{order['id']}/ship").json()
    assert order["status"] == "shipped"
    return order, user, api, invoice_of(api, order["id"])


def test_a_paid_order_is_invoiced_and_its_customer_downloads_the_pdf(paid_order, tmp_path):
    order, user, api, invoice = paid_order
    assert NUMBER.match(invoice["number"]), invoice["number"]
    assert invoice["order_id"] == order["id"] and invoice["user_id"] == user["id"]
    assert invoice["buyer"]["name"] == "Łukasz Müller 日本" and invoice["buyer"]["email"] == user["email"]
    assert invoice["gross_total"] == order["total"] == "59.97" and invoice["currency"] == "EUR"
    assert invoice["taxes"] == [{"rate": "19", "net": "50.39", "tax": "9.58", "gross": "59.97"}]
    assert [line["sku"] for line in invoice["lines"]] == [item["sku"] for item in order["items"]]

    pdf = api.get(f"/orders/{order['id']}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{invoice["number"]}.pdf"'
    text = pdf_text(pdf, tmp_path)
    assert invoice["number"] in text and "Łukasz Müller 日本" in text and "59.97 EUR" in text

    # The parcel's mail names its invoice (the log channel attaches nothing).
    wait_until(lambda: any(invoice["number"] in n["body"] for n in api.get("/notifications").json()["items"]),
               what="the parcel's mail, naming its invoice")


def test_each_parcels_invoice_and_each_refunds_credit_note_is_fetched_by_its_number(customer, admin, product,
                                                                                   new_customer, tmp_path):
    """An order shipped in two parcels: the second parcel's invoice, as JSON and as its PDF, by its
    number; of two refunds, the earlier credit note by its number."""
    order = confirmed_order(customer, (product, 3))
    first, second = shipped(admin, order["id"], (product, 2)), shipped(admin, order["id"], (product, 1))
    base = f"/orders/{order['id']}"

    invoice = customer.get(f"{base}/invoice", params={"number": second["invoice_number"]})
    assert invoice.status_code == 200, invoice.text
    assert (invoice.json()["number"], invoice.json()["gross_total"]) == (second["invoice_number"], "19.99")
    assert customer.get(f"{base}/invoice").json()["number"] == first["invoice_number"]  # without: the first
    pdf = customer.get(f"{base}/invoice.pdf", params={"number": second["invoice_number"]})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{second["invoice_number"]}.pdf"'
    text = pdf_text(pdf, tmp_path)
    assert second["invoice_number"] in text and "19.99 EUR" in text

    _, _, stranger = new_customer("Someone Else")
    for path in (f"{base}/invoice", f"{base}/invoice.pdf"):
        assert_problem(stranger.get(path, params={"number": second["invoice_number"]}), 404)
        assert_problem(customer.get(path, params={"number": "INV-1999-000001"}), 404)
        assert_problem(customer.get(path, params={"number": "x" * 21}), 422)

    for amount in ("3.00", "2.00"):
        refund = admin.post(f"{base}/refunds", json={"amount": amount, "reason": "late"}, headers=key())
        assert refund.status_code == 201, refund.text
    notes = customer.get(f"{base}/documents").json()["credit_notes"]  # issued with each refund
    assert [note["gross_total"] for note in notes] == ["3.00", "2.00"]
    earlier = customer.get(f"{base}/credit-note", params={"number": notes[0]["number"]})
    assert earlier.status_code == 200 and earlier.json() == notes[0]
    assert customer.get(f"{base}/credit-note").json() == notes[1]  # without: the latest
    pdf = customer.get(f"{base}/credit-note.pdf", params={"number": notes[0]["number"]})
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{notes[0]["number"]}.pdf"'
    assert_problem(customer.get(f"{base}/credit-note", params={"number": first["invoice_number"]}), 404)


def test_only_its_customer_and_admins_see_an_invoice(paid_order, customer, admin):
    order, _, api, invoice = paid_order
    for path in (f"/orders/{order['id']}/invoice", f"/orders/{order['id']}/invoice.pdf"):
        assert_problem(customer.get(path), 404)
        assert admin.get(path).status_code == 200
    assert admin.get(f"/orders/{order['id']}/invoice").json() == invoice
    assert_problem(api.get("/invoices"), 403)
    assert_problem(api.post("/invoices", json={"order_id": order["id"]}), 403)
    assert_problem(api.get(f"/orders/{order['id']}/credit-note"), 404)  # not refunded


def test_admins_list_invoices_by_number_order_and_period_and_issuing_again_returns_it(paid_order, admin):
    order, _, _, invoice = paid_order
    by_number = admin.get("/invoices", params={"number": invoice["number"]}).json()
    assert by_number["total"] == 1 and by_number["items"] == [invoice]
    assert admin.get("/invoices", params={"order_id": order["id"]}).json()["items"] == [invoice]
    assert admin.get("/invoices", params={"issued_to": "2000-01-01T00:00:00Z"}).json()["total"] == 0
    page = admin.get("/invoices", params={"issued_from": invoice["issued_at"], "page_size": 1}).json()
    assert page["page_size"] == 1 and page["total"] >= 1
    again = admin.post("/invoices", json={"order_id": order["id"]})
    assert again.status_code == 200 and again.json() == invoice


def test_a_refund_issues_the_credit_note_of_the_invoice(paid_order, admin, customer, tmp_path):
    order, _, api, invoice = paid_order
    refund = admin.post(f"/orders/{order['id']}/refunds", json={"amount": invoice["gross_total"],
                                                                "reason": "changed my mind"},
                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert refund.status_code == 201, refund.text

    def credited():
        response = api.get(f"/orders/{order['id']}/credit-note")
        return response.json() if response.status_code == 200 else None

    note = wait_until(credited, what="the credit note")
    assert re.match(r"^CN-\d{4}-\d{6}$", note["number"]) and note["invoice_number"] == invoice["number"]
    assert note["gross_total"] == invoice["gross_total"] and note["reason"] == "changed my mind"
    pdf = api.get(f"/orders/{order['id']}/credit-note.pdf")
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{note["number"]}.pdf"'
    assert f"Credits invoice: {invoice['number']}" in pdf_text(pdf, tmp_path)
    assert_problem(customer.get(f"/orders/{order['id']}/credit-note"), 404)
    assert admin.get("/credit-notes", params={"order_id": order["id"]}).json()["items"] == [note]
    assert api.get(f"/orders/{order['id']}/documents").json() == {"invoices": [invoice], "credit_notes": [note]}
    assert wait_until(lambda: "payment_refunded" in {n["event"] for n in api.get("/notifications").json()["items"]})


def test_bad_requests_get_the_right_4xx(admin, customer, anonymous, product, paid_order):
    order, _, _, _ = paid_order
    unknown = str(uuid.uuid4())
    for path in (f"/orders/{unknown}/invoice", f"/orders/{unknown}/invoice.pdf", f"/orders/{unknown}/credit-note",
                 f"/orders/{unknown}/credit-note.pdf", f"/orders/{'x' * 300}/invoice", "/orders/%20/invoice.pdf"):
        assert_problem(admin.get(path), 404)
    assert_problem(admin.post("/invoices", json={"order_id": unknown}), 404)
    assert_problem(admin.post("/credit-notes", json={"order_id": unknown}), 404)
    for body in ({}, {"order_id": ""}, {"order_id": 7}, {"order_id": "x" * 65}, {"order_id": unknown, "more": 1}):
        assert_problem(admin.post("/invoices", json=body), 422)
        assert_problem(admin.post("/credit-notes", json=body), 422)
    assert_problem(admin.post("/invoices", data="{", headers={"Content-Type": "application/json"}), 400)
    for params in ({"issued_from": "yesterday"}, {"page": 0}, {"page_size": 101}, {"colour": "red"},
                   {"number": "x" * 21}):
        assert_problem(admin.get("/invoices", params=params), 422)
        assert_problem(admin.get("/credit-notes", params=params), 422)
    for path in ("/invoices", f"/orders/{order['id']}/invoice", f"/orders/{order['id']}/invoice.pdf"):
        assert_problem(anonymous.get(path), 401)
    assert_problem(customer.get("/credit-notes"), 403)

    declined = place(customer, product, token="tok_declined").json()  # cancelled, never paid
    wait_for_status(customer, declined["id"], "cancelled")
    assert_problem(admin.post("/invoices", json={"order_id": declined["id"]}), 409)
    assert_problem(customer.get(f"/orders/{declined['id']}/invoice"), 404)
    assert_problem(admin.post("/credit-notes", json={"order_id": order["id"]}), 409)  # paid, not refunded
