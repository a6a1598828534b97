"""Invoices and credit notes as PDF (ReportLab): A4, the seller's header, the buyer, the lines
(their header repeated on every page, so a long order runs onto further pages), the tax per
rate and the totals, "page n of m" on each page.

Rendered from the frozen document (its RPC dump), never stored: the same document renders to the
same bytes (ReportLab's invariant mode: no creation time or random id in the file).

Text is set in DejaVu Sans (Latin, Greek, Cyrillic); a character DejaVu lacks (CJK) is set in the
fallback font instead, run by run: ReportLab has no font fallback of its own. Fonts are read once
per process, when the first document is rendered."""

from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

INVOICE_TITLE, CREDIT_NOTE_TITLE = "Invoice", "Credit note"
MARGIN = 18 * mm
FRAME_PADDING = 6  # points: platypus' frame keeps this inside the margins
REGULAR, BOLD, FALLBACK = "OMS-Regular", "OMS-Bold", "OMS-Fallback"


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    fallback: str

    @classmethod
    def from_config(cls, settings: dict) -> "Fonts":
        fonts = cls(str(settings["REGULAR"]), str(settings["BOLD"]), str(settings["FALLBACK"]))
        missing = [path for path in (fonts.regular, fonts.bold, fonts.fallback) if not Path(path).is_file()]
        if missing:
            raise FileNotFoundError(f"invoice fonts missing: {', '.join(missing)} (`make` installs them)")
        return fonts


@lru_cache
def _register(fonts: Fonts) -> dict[str, frozenset[int]]:
    """Register the fonts with ReportLab (once per process); the code points each one covers."""
    covered = {}
    for name, path in ((REGULAR, fonts.regular), (BOLD, fonts.bold), (FALLBACK, fonts.fallback)):
        font = TTFont(name, path)
        pdfmetrics.registerFont(font)
        covered[name] = frozenset(font.face.charToGlyph)
    return covered


class _Text:
    """Paragraph markup for text, with runs of characters the font lacks set in the fallback."""

    def __init__(self, covered: dict[str, frozenset[int]]):
        self.covered = covered

    def markup(self, text: str, font: str = REGULAR) -> str:
        runs: list[tuple[bool, list[str]]] = []
        for char in str(text):
            fallback = ord(char) not in self.covered[font] and ord(char) in self.covered[FALLBACK]
            if runs and runs[-1][0] == fallback:
                runs[-1][1].append(char)
            else:
                runs.append((fallback, [char]))
        return "".join(
            f'<font name="{FALLBACK}">{escape("".join(chars))}</font>' if fallback else escape("".join(chars))
            for fallback, chars in runs
        )


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=11.5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#555555")),
        "seller": ParagraphStyle("seller", parent=body, fontName=BOLD, fontSize=14, leading=17),
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=16, leading=19, alignment=TA_RIGHT),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "heading": ParagraphStyle("heading", parent=body, fontName=BOLD, fontSize=10, leading=13, spaceBefore=6),
        "cell_bold": ParagraphStyle("cell_bold", parent=body, fontName=BOLD),
    }


class _NumberedCanvas(Canvas):
    """Draws "page n of m" and the document number on every page once all pages are known."""

    footer = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        for page, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(REGULAR, 8)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(MARGIN + FRAME_PADDING, 10 * mm, self.footer)
            self.drawRightString(A4[0] - MARGIN - FRAME_PADDING, 10 * mm, f"Page {page} of {len(self._pages)}")
            super().showPage()
        super().save()


def render(document: dict, title: str, fonts: Fonts) -> bytes:
    """The PDF of an invoice or credit note dump (payments/schemas.py), `title` INVOICE_TITLE or
    CREDIT_NOTE_TITLE."""
    text = _Text(_register(fonts))
    styles = _styles()
    currency = document["currency"]

    def para(value, style="body", font=REGULAR) -> Paragraph:
        return Paragraph(text.markup(value, font), styles[style])

    seller, buyer = document["seller"], document["buyer"]
    facts = [("Number", document["number"]), ("Date of issue", document["issued_at"][:10])]
    if "invoice_number" in document:
        facts += [("Credits invoice", document["invoice_number"]), ("Refund reference", document["refund_reference"])]
    else:
        facts += [("Order date", document["order_placed_at"][:10]), ("Payment reference",
                                                                       document["payment_reference"] or "-")]
    facts.append(("Order", document["order_id"]))
    width = A4[0] - 2 * (MARGIN + FRAME_PADDING)
    header = Table(
        [
            [
                [para(seller["name"], "seller", BOLD), para(seller["address"]), para(f"VAT ID {seller['vat_id']}")],
                [para(title, "title", BOLD), Spacer(1, 2 * mm)]
                + [para(f"{label}: {value}", "right") for label, value in facts],
            ]
        ],
        colWidths=[width * 0.5, width * 0.5],
    )
    header.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), REGULAR, 9), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (0, -1), 0), ("RIGHTPADDING", (-1, 0), (-1, -1), 0)]))
    city = " ".join(part for part in (buyer.get("postal_code"), buyer.get("city")) if part)
    buyer_lines = [buyer.get("name"), buyer.get("line1"), buyer.get("line2"), city, buyer.get("country"),
                   buyer.get("email")]
    story = [header, Spacer(1, 4 * mm), para("Bill to", "heading", BOLD)]
    story += [para(line) for line in buyer_lines if line]
    story += [Spacer(1, 5 * mm), _lines_table(document, para, width), Spacer(1, 4 * mm),
              _tax_table(document, para, width), Spacer(1, 3 * mm),
              para(f"Prices include VAT. Amounts in {currency}.", "small")]
    buffer = BytesIO()
    pdf = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=18 * mm,
        title=f"{title} {document['number']}", author=seller["name"], invariant=1,
        initialFontName=REGULAR,  # not Helvetica, which would be listed as a font, unembedded
    )
    canvas = type("DocumentCanvas", (_NumberedCanvas,), {"footer": f"{title} {document['number']}"})
    pdf.build(story, canvasmaker=canvas)
    return buffer.getvalue()


_TABLE = [
    ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
    ("FONT", (0, 1), (-1, -1), REGULAR, 8.5),
    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]


def _lines_table(document: dict, para, width: float) -> Table:
    rows = [["SKU", "Item", "Qty", "Unit price", "VAT %", "Net", "VAT", "Total"]]
    for line in document["lines"]:
        rows.append([para(line["sku"]), para(line["name"]), str(line["quantity"]), line["unit_price"],
                     line["tax_rate"], line["net"], line["tax"], line["line_total"]])
    fractions = (0.14, 0.30, 0.06, 0.11, 0.08, 0.10, 0.10, 0.11)
    table = Table(rows, colWidths=[width * f for f in fractions], repeatRows=1)
    table.setStyle(TableStyle(_TABLE + [("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc"))]))
    return table


def _tax_table(document: dict, para, width: float) -> Table:
    rows = [["VAT rate", "Net", "VAT", "Gross"]]
    rows += [[f"{tax['rate']} %", tax["net"], tax["tax"], tax["gross"]] for tax in document["taxes"]]
    rows += [["Total", document["net_total"], document["tax_total"], document["gross_total"]]]
    rows += [["Total due" if "invoice_number" not in document else "Total credited", "", "",
              f"{document['gross_total']} {document['currency']}"]]
    table = Table(rows, colWidths=[width * 0.16] * 4, hAlign="RIGHT")
    table.setStyle(TableStyle(_TABLE + [
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEABOVE", (0, -2), (-1, -2), 0.6, colors.black),
        ("FONT", (0, -2), (-1, -1), BOLD, 8.5),
    ]))
    return table
