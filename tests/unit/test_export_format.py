"""The export's CSV follows RFC 4180: CRLF line ends, a header, fields with commas, quotes or line
breaks quoted, quotes doubled (gateway/api/exports.py)."""

from gateway.api.exports import COLUMNS, _csv_rows, _ndjson_rows

LINE = ("o-1", "2026-12-01T10:00:00+00:00", "confirmed", "a@example.com", 'SKU,"7"\nB', 2, "1.50", "3.00", "3.00",
        "EUR", "succeeded")


def test_csv_quotes_what_needs_it_and_ends_lines_with_crlf():
    text = "".join(_csv_rows(iter([LINE])))
    assert text == (",".join(COLUMNS) + "\r\n"
                    + 'o-1,2026-12-01T10:00:00+00:00,confirmed,a@example.com,"SKU,""7""\nB",2,1.50,3.00,3.00,EUR,'
                    "succeeded\r\n")


def test_csv_comes_in_chunks_and_the_header_alone_for_no_lines():
    assert "".join(_csv_rows(iter([]))) == ",".join(COLUMNS) + "\r\n"
    chunks = list(_csv_rows(iter([LINE] * 450)))
    assert len(chunks) == 3 and "".join(chunks).count("\r\n") == 451  # the header and 450 rows


def test_ndjson_is_one_object_per_line():
    [line] = list(_ndjson_rows(iter([LINE])))
    assert line.endswith("\n") and line.count("\n") == 1 and '"quantity":2' in line
