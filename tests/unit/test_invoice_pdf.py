"""Invoice and credit note PDFs (payments/pdf.py) read back with poppler (`make test` installs
poppler-utils): rendered to PNG with pdftoppm, their text read with pdftotext, their fonts listed
with pdffonts."""

import re
import subprocess

import pytest

from payments.pdf import CREDIT_NOTE_TITLE, INVOICE_TITLE, Fonts, render
from plumbing.config import load_config

BUYER = {"name": "Zoë Łukasz-Müller 日本", "line1": "Große Straße 5", "line2": None, "city": "Köln",
         "postal_code": "50667", "country": "DE", "email": "zoe@example.com"}


def document(lines: int = 2, **overrides) -> dict:
    """An invoice as payments/schemas.py dumps it."""
    return {
        "id": "i-1", "number": "INV-2026-000042", "order_id": "order-7", "user_id": "u-1", "currency": "EUR",
        "issued_at": "2026-12-01T10:00:00+00:00", "order_placed_at": "2026-11-30T09:15:00+00:00",
        "payment_reference": "sim_ch_1234",
        "seller": {"name": "OMS Demo Shop SAS", "address": "12 rue de la Paix, 75002 Paris", "vat_id": "FR40123456789"},
        "buyer": BUYER,
        "lines": [{"sku": f"SKU-{n:03d}", "name": f"Crème brûlée ß {n}", "quantity": 3, "unit_price": "33.33",
                   "line_total": "99.99", "tax_rate": "19", "net": "84.03", "tax": "15.96"} for n in range(lines)],
        "taxes": [{"rate": "19", "net": f"{84.03 * lines:.2f}", "tax": f"{15.96 * lines:.2f}",
                   "gross": f"{99.99 * lines:.2f}"}],
        "net_total": f"{84.03 * lines:.2f}", "tax_total": f"{15.96 * lines:.2f}", "gross_total": f"{99.99 * lines:.2f}",
        **overrides,
    }


@pytest.fixture(scope="module")
def fonts() -> Fonts:
    return Fonts.from_config(load_config()["INVOICING"]["FONTS"])


def poppler(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout


def written(tmp_path, content: bytes):
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    return path


def pages(path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", str(path)), re.M).group(1))


def test_an_invoice_is_one_a4_page_with_its_number_buyer_lines_tax_and_totals(tmp_path, fonts):
    path = written(tmp_path, render(document(), INVOICE_TITLE, fonts))
    info = poppler("pdfinfo", str(path))
    assert "595.276 x 841.89 pts (A4)" in info and pages(path) == 1

    text = poppler("pdftotext", "-layout", str(path), "-")
    for expected in ("Invoice", "INV-2026-000042", "OMS Demo Shop SAS", "VAT ID FR40123456789",
                     "Zoë Łukasz-Müller 日本", "Große Straße 5", "50667 Köln", "zoe@example.com",
                     "Crème brûlée ß 1", "SKU-001", "Payment reference: sim_ch_1234", "Order date: 2026-11-30",
                     "Date of issue: 2026-12-01", "Page 1 of 1"):
        assert expected in text, expected
    assert re.search(r"19 %\s+168\.06\s+31\.92\s+199\.98", text)  # the tax line
    assert re.search(r"Total due\s+199\.98 EUR", text)

    fonts_used = poppler("pdffonts", str(path))
    assert "DejaVuSans " in fonts_used and "DejaVuSans-Bold" in fonts_used
    assert "DroidSansFallback" in fonts_used  # 日本, which DejaVu lacks
    assert all(" yes " in line for line in fonts_used.splitlines()[2:]), fonts_used  # all embedded

    poppler("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page"))
    png = (tmp_path / "page-1.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_25_lines_fit_on_one_page_and_more_run_onto_further_pages_under_the_same_header(tmp_path, fonts):
    assert pages(written(tmp_path, render(document(lines=25), INVOICE_TITLE, fonts))) == 1

    path = written(tmp_path, render(document(lines=80), INVOICE_TITLE, fonts))
    count = pages(path)
    assert count >= 3
    for page in range(1, count + 1):
        text = poppler("pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-")
        assert f"Page {page} of {count}" in text and "INV-2026-000042" in text
        if page < count:
            assert re.search(r"SKU\s+Item\s+Qty\s+Unit price", text)  # the lines' header, on each page
    everything = poppler("pdftotext", "-layout", str(path), "-")
    assert all(f"SKU-{n:03d}" in everything for n in range(80))
    assert re.search(r"Total due\s+7999\.20 EUR", everything)


def test_a_credit_note_names_the_invoice_it_credits(tmp_path, fonts):
    note = document(number="CN-2026-000003", invoice_number="INV-2026-000042", refund_reference="sim_re_9",
                    reason="customer request")
    text = poppler("pdftotext", "-layout", str(written(tmp_path, render(note, CREDIT_NOTE_TITLE, fonts))), "-")
    assert "Credit note" in text and "CN-2026-000003" in text
    assert "Credits invoice: INV-2026-000042" in text and "Refund reference: sim_re_9" in text
    assert re.search(r"Total credited\s+199\.98 EUR", text)


def test_the_same_document_renders_to_the_same_bytes(fonts):
    assert render(document(), INVOICE_TITLE, fonts) == render(document(), INVOICE_TITLE, fonts)


def test_a_missing_font_is_refused_when_the_settings_are_read():
    with pytest.raises(FileNotFoundError, match="make"):
        Fonts.from_config({"REGULAR": "/nowhere/font.ttf", "BOLD": "/nowhere/b.ttf", "FALLBACK": "/nowhere/c.ttf"})
