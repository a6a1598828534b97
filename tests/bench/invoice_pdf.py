"""What rendering an invoice PDF costs (payments/pdf.py), in one process, no I/O but the render:

    .venv/bin/python -m tests.bench.invoice_pdf [--renders 200] [--png var/invoice-page1.png]

Times the first render (it reads the fonts: once per process) and then `--renders` renders of a
3-line invoice (a typical order), a 25-line one (a full page) and an 80-line one (3 pages); prints
p50, p99 and max in milliseconds and the PDF's size. `--png` also writes the 3-line invoice's first
page as a PNG (pdftoppm, 100 dpi), the rendered first page to look at."""

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from payments.pdf import INVOICE_TITLE, Fonts, render
from plumbing.config import load_config

BUYER = {"name": "Zoë Łukasz-Müller 日本", "line1": "Große Straße 5", "line2": "Hinterhaus", "city": "Köln",
         "postal_code": "50667", "country": "DE", "email": "zoe@example.com"}


def invoice(lines: int) -> dict:
    """An invoice as payments/schemas.py dumps it, of `lines` lines of 3 × 33.33 at 19 %."""
    net, tax, gross = (f"{amount * lines:.2f}" for amount in (84.03, 15.96, 99.99))
    return {
        "id": "bench", "number": "INV-2026-000123", "order_id": "5f0c9a4e-8d7b-4c1e-9f2a-3b6d8e1c0a77",
        "user_id": "u-1", "currency": "EUR", "issued_at": "2026-12-01T10:00:00+00:00",
        "order_placed_at": "2026-11-30T09:15:00+00:00", "payment_reference": "sim_ch_4f1c2b9d8e7a6f5c4b3a2d1e",
        "seller": {"name": "OMS Demo Shop SAS", "address": "12 rue de la Paix, 75002 Paris, France",
                   "vat_id": "FR40123456789"},
        "buyer": BUYER,
        "lines": [{"sku": f"MUG-{n:03d}", "name": f"Enamel mug, crème brûlée {n}", "quantity": 3,
                   "unit_price": "33.33", "line_total": "99.99", "tax_rate": "19", "net": "84.03", "tax": "15.96"}
                  for n in range(lines)],
        "taxes": [{"rate": "19", "net": net, "tax": tax, "gross": gross}],
        "net_total": net, "tax_total": tax, "gross_total": gross,
    }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.invoice_pdf", description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=200, help="renders per size (default %(default)s)")
    parser.add_argument("--png", type=Path, help="write the 3-line invoice's first page here")
    args = parser.parse_args()
    fonts = Fonts.from_config(load_config()["INVOICING"]["FONTS"])

    started = time.perf_counter()
    first = render(invoice(3), INVOICE_TITLE, fonts)
    print(f"first render (reads the fonts): {(time.perf_counter() - started) * 1000:.1f} ms")
    print(f"{'lines':>5} {'pages':>5} {'KiB':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  ({args.renders} renders)")
    for lines, pages in ((3, 1), (25, 1), (80, 3)):
        document = invoice(lines)
        samples = []
        for _ in range(args.renders):
            started = time.perf_counter()
            content = render(document, INVOICE_TITLE, fonts)
            samples.append((time.perf_counter() - started) * 1000)
        print(f"{lines:>5} {pages:>5} {len(content) / 1024:>6.1f} {statistics.median(samples):>7.1f}"
              f" {percentile(samples, 0.99):>7.1f} {max(samples):>7.1f}")

    if args.png is not None:
        with tempfile.TemporaryDirectory() as scratch:
            pdf = Path(scratch) / "invoice.pdf"
            pdf.write_bytes(first)
            root = Path(scratch) / "page"
            subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                            str(root)], check=True)
            args.png.parent.mkdir(parents=True, exist_ok=True)
            args.png.write_bytes(root.with_suffix(".png").read_bytes())
        print(f"first page: {args.png}")


if __name__ == "__main__":
    main()
