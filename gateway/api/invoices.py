"""Invoices and credit notes: an order's own, as JSON and as PDF; every one for admins, who may
also issue a missing one at once."""

import base64

from flask import Response

from gateway.api import ApiBlueprint, errors, json_body, page_of, query_args, reply
from gateway.auth import BEARER_AUTH, requires
from gateway.context import oms
from payments.schemas import CreditNoteSchema, DocumentQuerySchema, InvoiceSchema, IssueDocumentSchema
from plumbing.access import ADMIN_ONLY, INVOICES_LIST, INVOICES_READ

blp = ApiBlueprint("invoices", __name__, url_prefix="/api/v1", description="Invoices and credit notes")

PDF = "application/pdf"
PDF_BODY = {"type": "string", "format": "binary"}
DOWNLOAD = {
    "Content-Disposition": {
        "description": 'attachment; filename="INV-2026-000001.pdf" (the document\'s number)',
        "schema": {"type": "string"},
        "required": True,
    }
}


def pdf_response(document: dict) -> Response:
    """A PDF from payments' {filename, content (base64)}, as a download."""
    return Response(
        base64.b64decode(document["content"]),
        mimetype=PDF,
        headers={"Content-Disposition": f'attachment; filename="{document["filename"]}"'},
    )


def issued(answer: dict, key: str):
    """201 with the document issued just now, 200 with the one it had already."""
    return reply(answer[key], 201 if answer["created"] else 200)


# --- invoices --------------------------------------------------------------------------------------


@blp.route("/orders/<order_id>/invoice", methods=["GET"])
@requires(INVOICES_READ)
@blp.response(200, InvoiceSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def order_invoice(order_id):
    """The order's invoice (404 until it is issued, shortly after the order is confirmed, or if
    the order isn't yours)."""
    return reply(oms().call("payments", "get_invoice", order_id))


@blp.route("/orders/<order_id>/invoice.pdf", methods=["GET"])
@requires(INVOICES_READ)
@blp.response(200, PDF_BODY, content_type=PDF, headers=DOWNLOAD)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def order_invoice_pdf(order_id):
    """The order's invoice as a PDF download, named by its number."""
    return pdf_response(oms().call("payments", "get_invoice_pdf", order_id))


@blp.route("/invoices", methods=["GET"])
@requires(INVOICES_LIST)
@blp.arguments(DocumentQuerySchema, location="query")
@blp.response(200, page_of(InvoiceSchema))
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 422, 429, 503)
def list_invoices(_):
    """Every invoice, newest number first (admin). Filter by `issued_from` / `issued_to` (ISO 8601
    with an offset), `number` and `order_id`."""
    return reply(oms().call("payments", "list_invoices", query_args()))


@blp.route("/invoices", methods=["POST"])
@requires(ADMIN_ONLY)
@blp.arguments(IssueDocumentSchema)
@blp.response(201, InvoiceSchema, description="Issued now.")
@blp.alt_response(200, schema=InvoiceSchema, description="It had one already: that one.", success=True)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 404, 409, 422, 429, 503)
def issue_invoice(_):
    """Issue the invoice of a paid order now, if it has none (admin); 409 for an unpaid order."""
    return issued(oms().call("payments", "issue_invoice", json_body()), "invoice")


# --- credit notes ----------------------------------------------------------------------------------


@blp.route("/orders/<order_id>/credit-note", methods=["GET"])
@requires(INVOICES_READ)
@blp.response(200, CreditNoteSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def order_credit_note(order_id):
    """The credit note of the order's refund (404 until the order is refunded, or if it isn't yours)."""
    return reply(oms().call("payments", "get_credit_note", order_id))


@blp.route("/orders/<order_id>/credit-note.pdf", methods=["GET"])
@requires(INVOICES_READ)
@blp.response(200, PDF_BODY, content_type=PDF, headers=DOWNLOAD)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def order_credit_note_pdf(order_id):
    """The order's credit note as a PDF download, named by its number."""
    return pdf_response(oms().call("payments", "get_credit_note_pdf", order_id))


@blp.route("/credit-notes", methods=["GET"])
@requires(INVOICES_LIST)
@blp.arguments(DocumentQuerySchema, location="query")
@blp.response(200, page_of(CreditNoteSchema))
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 422, 429, 503)
def list_credit_notes(_):
    """Every credit note, newest number first (admin); filters as for invoices."""
    return reply(oms().call("payments", "list_credit_notes", query_args()))


@blp.route("/credit-notes", methods=["POST"])
@requires(ADMIN_ONLY)
@blp.arguments(IssueDocumentSchema)
@blp.response(201, CreditNoteSchema, description="Issued now.")
@blp.alt_response(200, schema=CreditNoteSchema, description="It had one already: that one.", success=True)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 404, 409, 422, 429, 503)
def issue_credit_note(_):
    """Issue the credit note of a refunded, invoiced order now, if it has none (admin); 409 for an
    order not refunded, or not invoiced yet."""
    return issued(oms().call("payments", "issue_credit_note", json_body()), "credit_note")
