"""The export's CSV follows RFC 4180: CRLF line ends, a header, fields with commas, quotes or line
breaks quoted, quotes doubled (gateway/api/exports.py), and no cell a spreadsheet would run."""

import csv
import io

from gateway.api.exports import COLUMNS, _csv_rows, _lines, _ndjson_rows, neutralise

LINE = ("o-1", "2026-12-01T10:00:00+00:00", "shipped", "a@example.com", 'SKU,"7"\nB', 2, "1.50", "3.00", "3.00",
        "1.50", "3.00", "1.50", "EUR", "partially_refunded")


def test_csv_quotes_what_needs_it_and_ends_lines_with_crlf():
    text = "".join(_csv_rows(iter([LINE])))
    assert text == (",".join(COLUMNS) + "\r\n"
                    + 'o-1,2026-12-01T10:00:00+00:00,shipped,a@example.com,"SKU,""7""\nB",2,1.50,3.00,3.00,1.50,3.00,'
                    "1.50,EUR,partially_refunded\r\n")


def test_csv_comes_in_chunks_and_the_header_alone_for_no_lines():
    assert "".join(_csv_rows(iter([]))) == ",".join(COLUMNS) + "\r\n"
    chunks = list(_csv_rows(iter([LINE] * 450)))
    assert len(chunks) == 3 and "".join(chunks).count("\r\n") == 451  # the header and 450 rows


def test_ndjson_is_one_object_per_line():
    [line] = list(_ndjson_rows(iter([LINE])))
    assert line.endswith("\n") and line.count("\n") == 1 and '"quantity":2' in line


def test_csv_cells_a_spreadsheet_would_run_get_a_single_quote_and_the_csv_stays_valid():
    # OWASP's CSV injection list: =, +, -, @, tab, carriage return; numbers are left as numbers.
    dangerous = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx=1", "\rx=1", '=HYPERLINK("http://x","y,z")']
    rows = [(cell, "2026-12-01T10:00:00+00:00", "confirmed", cell, "SKU-1", -2, "-5.00", "-5", "0.00", "0.00",
             "3.00", "0.00", "EUR", "")
            for cell in dangerous]
    read = list(csv.reader(io.StringIO("".join(_csv_rows(iter(rows))), newline="")))
    assert read[0] == list(COLUMNS) and len(read) == len(dangerous) + 1
    for cell, row in zip(dangerous, read[1:], strict=True):
        assert row[0] == row[3] == "'" + cell
        assert row[5:8] == ["-2", "-5.00", "-5"]  # plain numbers: nothing a spreadsheet runs
    assert neutralise("a=1") == "a=1" and neutralise("-5.00x") == "'-5.00x" and neutralise("-") == "'-"


def test_each_line_carries_its_shipped_and_returned_amounts_and_the_order_its_refund():
    order = {"id": "o-1", "created_at": "2026-12-01T10:00:00+00:00", "status": "shipped", "total": "40.00",
             "currency": "EUR", "customer": {"email": "a@example.com"},
             "payment": {"status": "partially_refunded", "refunded": "10.00"},
             "items": [{"sku": "A", "quantity": 3, "unit_price": "10.00", "line_total": "30.00",
                        "shipped_quantity": 2, "returned_quantity": 1},
                       {"sku": "B", "quantity": 1, "unit_price": "10.00", "line_total": "10.00",
                        "shipped_quantity": 0, "returned_quantity": 0}]}
    rows = [dict(zip(COLUMNS, line, strict=True)) for line in _lines({}, {"items": [order], "has_next_page": False})]
    assert [(r["sku"], r["shipped_amount"], r["returned_amount"], r["order_refunded"]) for r in rows] == [
        ("A", "20.00", "10.00", "10.00"), ("B", "0.00", "0.00", "10.00")]


def test_an_order_without_payment_exports_nothing_refunded():
    order = {"id": "o-2", "created_at": "2026-12-01T10:00:00+00:00", "status": "pending_payment", "total": "5.00",
             "currency": "EUR", "customer": {"email": None}, "payment": None,
             "items": [{"sku": "A", "quantity": 1, "unit_price": "5.00", "line_total": "5.00"}]}
    [row] = [dict(zip(COLUMNS, line, strict=True)) for line in _lines({}, {"items": [order], "has_next_page": False})]
    assert (row["shipped_amount"], row["returned_amount"], row["order_refunded"]) == ("0.00", "0.00", "0.00")
