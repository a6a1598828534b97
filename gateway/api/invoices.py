"""Invoices and credit notes: an order's own, as JSON and as PDF (its first invoice and latest
credit note, or the one `?number=` names); every one for admins, who may also issue a missing one
at once. Both kinds have the same four routes."""

import base64

from flask import Response

from contracts.payments import CreditNoteSchema, InvoiceSchema
from contracts.payments_operations import (
    GET_CREDIT_NOTE,
    GET_CREDIT_NOTE_PDF,
    GET_INVOICE,
    GET_INVOICE_PDF,
    ISSUE_CREDIT_NOTE,
    ISSUE_INVOICE,
    LIST_CREDIT_NOTES,
    LIST_INVOICES,
    LIST_ORDER_DOCUMENTS,
)
from gateway.api import ApiBlueprint, json_body, query_args, reply
from gateway.context import services

blp = ApiBlueprint("invoices", __name__, url_prefix="/api/v1", description="Invoices and credit notes")

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
        mimetype=GET_INVOICE_PDF.reply.media_type,
        headers={"Content-Disposition": f'attachment; filename="{document["filename"]}"'},
    )


def issued(answer: dict, kind: str):
    """201 for a document issued now, 200 with the one it had."""
    return reply(answer[kind], 201 if answer["created"] else 200)


@blp.operation(GET_INVOICE)
def order_invoice(query, order_id):
    return reply(services().payments.get_invoice(order_id, query.get("number")))


@blp.operation(LIST_ORDER_DOCUMENTS)
def order_documents(order_id):
    return reply(services().payments.list_order_documents(order_id))


@blp.operation(GET_INVOICE_PDF, response_headers=DOWNLOAD)
def order_invoice_pdf(query, order_id):
    return pdf_response(services().payments.get_invoice_pdf(order_id, query.get("number")))


@blp.operation(LIST_INVOICES)
def list_invoices(_):
    return reply(services().payments.list_invoices(query_args()))


@blp.operation(ISSUE_INVOICE, description="Issued now.")
@blp.alt_response(200, schema=InvoiceSchema, description="It had one already: that one.", success=True)
def issue_invoice(_):
    return issued(services().payments.issue_invoice(json_body()), "invoice")


@blp.operation(GET_CREDIT_NOTE)
def order_credit_note(query, order_id):
    return reply(services().payments.get_credit_note(order_id, query.get("number")))


@blp.operation(GET_CREDIT_NOTE_PDF, response_headers=DOWNLOAD)
def order_credit_note_pdf(query, order_id):
    return pdf_response(services().payments.get_credit_note_pdf(order_id, query.get("number")))


@blp.operation(LIST_CREDIT_NOTES)
def list_credit_notes(_):
    return reply(services().payments.list_credit_notes(query_args()))


@blp.operation(ISSUE_CREDIT_NOTE, description="Issued now.")
@blp.alt_response(200, schema=CreditNoteSchema, description="It had one already: that one.", success=True)
def issue_credit_note(_):
    return issued(services().payments.issue_credit_note(json_body()), "credit_note")
