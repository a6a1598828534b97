"""Exports of every order, streamed from the read side (order_queries) page by page.

Pages come by keyset (a cursor, never an offset), config GATEWAY.EXPORT_PAGE_SIZE orders at a time, and each is
written out and dropped before the next is asked for: memory stays flat however many orders
there are. The first page is fetched before the answer starts, so a refused caller or a missing
service is still a proper 403 or 503; a failure later can only cut the stream short.

CSV cells are neutralised against formula injection as OWASP says: a cell that begins with `=`,
`+`, `-`, `@`, a tab or a carriage return gets a single quote in front, so a spreadsheet shows it
as text and never evaluates it (a customer email `=2+5@example.com`). A plain
decimal number (`-5.00`) is left as it is: a spreadsheet reads it as the number it is, and runs
nothing. NDJSON is no spreadsheet's format: its values go out as they are."""

import csv
import io
import json
import re
from decimal import Decimal

from flask import Response, current_app, stream_with_context
from marshmallow import Schema, fields, validate

from contracts.orders import OrderStatus
from gateway.api import ApiBlueprint, errors
from gateway.auth import access_doc, requires
from gateway.context import services
from wire.access import ORDERS_EXPORT
from wire.validation import UtcTime

blp = ApiBlueprint("exports", __name__, url_prefix="/api/v1", description="Exports of every order")

# shipped_amount and returned_amount: the line's units shipped and returned (received back) at its
# price; order_refunded: what the order's payment refunded (returns, goodwill, cancellation).
COLUMNS = ("order_id", "created_at", "status", "customer_email", "sku", "quantity", "unit_price", "line_total",
           "shipped_amount", "returned_amount", "order_total", "order_refunded", "currency", "payment_status")
FORMATS = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


class ExportQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(sorted(FORMATS)))
    status = fields.String(validate=validate.OneOf([status.value for status in OrderStatus]))
    created_from = UtcTime()
    created_to = UtcTime()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")

EXPORT_BODY = {"type": "string", "format": "binary",
               "description": "One row per order line: " + ", ".join(COLUMNS) + "."}


@blp.route("/orders/export", methods=["GET"])
@requires(ORDERS_EXPORT)
@blp.arguments(ExportQuerySchema, location="query")
@blp.doc(**access_doc(ORDERS_EXPORT), responses={200: {
    "description": "The export, streamed.",
    "content": {"text/csv": {"schema": EXPORT_BODY}, "application/x-ndjson": {"schema": EXPORT_BODY}},
}})
@errors(blp, 401, 403, 422, 429, 503)
def export_orders(query):
    """Every order, newest first, one row per line (admin): as CSV (RFC 4180: a header row, CRLF,
    fields quoted where needed) or NDJSON (one JSON object per line), with the filters of the
    orders list. Streamed: it starts at once and uses the same memory for 100 or 100,000 orders."""
    kind = query.pop("format")
    page_filter = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in query.items()}
    first = _page(page_filter, None)
    rows = _csv_rows if kind == "csv" else _ndjson_rows
    return Response(
        stream_with_context(rows(_lines(page_filter, first))),
        mimetype=FORMATS[kind].split(";")[0],
        content_type=FORMATS[kind],
        headers={"Content-Disposition": f'attachment; filename="orders.{kind}"', "Cache-Control": "no-store"},
    )


def _page(page_filter: dict, after: str | None) -> dict:
    size = current_app.config["EXPORT_PAGE_SIZE"]
    return services().order_queries.export_orders({"filter": page_filter, "first": size, "after": after})


def _lines(page_filter: dict, page: dict):
    """Every line of every order, page after page."""
    while True:
        for order in page["items"]:
            payment = order["payment"] or {}
            refunded = payment.get("refunded") or "0.00"
            for item in order["items"]:
                yield (order["id"], order["created_at"], order["status"], order["customer"]["email"] or "",
                       item["sku"], item["quantity"], item["unit_price"], item["line_total"],
                       line_amount(item, "shipped_quantity"), line_amount(item, "returned_quantity"),
                       order["total"], refunded, order["currency"], payment.get("status", ""))
        if not page["has_next_page"]:
            return
        page = _page(page_filter, page["end_cursor"])


def line_amount(item: dict, quantity: str) -> str:
    """`quantity` of the line's units at its price, as a decimal string."""
    return f"{Decimal(item['unit_price']) * item.get(quantity, 0):.2f}"


def _csv_rows(lines):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: CRLF, quotes doubled inside quotes
    writer.writerow(COLUMNS)
    for number, line in enumerate(lines, 1):
        writer.writerow([neutralise(cell) for cell in line])
        if number % 200 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def neutralise(cell):
    """The cell as a spreadsheet may open it: text that a spreadsheet would take for a formula
    gets a leading single quote (OWASP, CSV injection)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def _ndjson_rows(lines):
    for line in lines:
        yield json.dumps(dict(zip(COLUMNS, line, strict=True)), separators=(",", ":")) + "\n"


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
