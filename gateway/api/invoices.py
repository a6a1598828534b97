"""Invoices and credit notes: an order's own, as JSON and as PDF; every one for admins, who may
also issue a missing one at once. Both kinds have the same four routes (`_routes`)."""

import base64
from dataclasses import dataclass

from flask import Response
from marshmallow import Schema

from contracts.payments import CreditNoteSchema, DocumentQuerySchema, InvoiceSchema, IssueDocumentSchema
from gateway.api import ApiBlueprint, json_body, page_of, query_args, reply
from gateway.context import oms
from wire.access import ADMIN_ONLY, INVOICES_LIST, INVOICES_READ

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


@dataclass(frozen=True)
class Kind:
    name: str  # payments' RPCs are get_<name>, get_<name>_pdf, list_<name>s, issue_<name>
    path: str  # /orders/{id}/<path>, /<path>s
    label: str
    schema: type[Schema]
    until: str  # when GET /orders/{id}/<path> stops answering 404
    issuing: str  # what POST /<path>s does


KINDS = (
    Kind("invoice", "invoice", "invoice", InvoiceSchema, "until it is issued, shortly after the order is confirmed",
         "Issue the invoice of a paid order now, if it has none (admin); 409 for an unpaid order."),
    Kind("credit_note", "credit-note", "credit note", CreditNoteSchema, "until the order is refunded",
         "Issue the credit note of a refunded, invoiced order now, if it has none (admin); 409 for an order"
         " not refunded, or not invoiced yet."),
)


def pdf_response(document: dict) -> Response:
    """A PDF from payments' {filename, content (base64)}, as a download."""
    return Response(
        base64.b64decode(document["content"]),
        mimetype=PDF,
        headers={"Content-Disposition": f'attachment; filename="{document["filename"]}"'},
    )


def _view(name: str, doc: str, function):
    function.__name__, function.__doc__ = name, doc
    return function


def _routes(kind: Kind) -> None:
    one = f"/orders/<order_id>/{kind.path}"

    def get(order_id):
        return reply(oms().call("payments", f"get_{kind.name}", order_id))

    def get_pdf(order_id):
        return pdf_response(oms().call("payments", f"get_{kind.name}_pdf", order_id))

    def list_all(_):
        return reply(oms().call("payments", f"list_{kind.name}s", query_args()))

    def issue(_):
        answer = oms().call("payments", f"issue_{kind.name}", json_body())
        return reply(answer[kind.name], 201 if answer["created"] else 200)

    blp.operation(one, "GET", access=INVOICES_READ, schema=kind.schema, raises=(404,))(
        _view(f"get_order_{kind.name}", f"The order's {kind.label} (404 {kind.until}, or if the order isn't yours).",
              get)
    )
    pdf = {"schema": PDF_BODY, "content_type": PDF, "response_headers": DOWNLOAD}
    blp.operation(one + ".pdf", "GET", access=INVOICES_READ, raises=(404,), **pdf)(
        _view(f"get_order_{kind.name}_pdf", f"The order's {kind.label} as a PDF download, named by its number.",
              get_pdf)
    )
    blp.operation(
        f"/{kind.path}s",
        "GET",
        access=INVOICES_LIST,
        query=DocumentQuerySchema,
        schema=page_of(kind.schema),
    )(
        _view(f"list_{kind.name}s", f"Every {kind.label}, newest number first (admin). Filter by `issued_from` /"
              " `issued_to` (ISO 8601 with an offset), `number` and `order_id`.", list_all)
    )
    blp.operation(
        f"/{kind.path}s",
        "POST",
        access=ADMIN_ONLY,
        body=IssueDocumentSchema,
        status=201,
        schema=kind.schema,
        description="Issued now.",
        raises=(404, 409),
    )(
        blp.alt_response(200, schema=kind.schema, description="It had one already: that one.", success=True)(
            _view(f"issue_{kind.name}", kind.issuing, issue)
        )
    )


for _kind in KINDS:
    _routes(_kind)
