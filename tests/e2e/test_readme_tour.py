"""The README's five-minute tour, run as written against the test system: a newcomer's first
commands must work (only the address and the email are this run's own)."""

import re
import subprocess
import uuid
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
TOUR_SECONDS = 180  # a cap for a hung tour; it waits on the order's status, not on time


def tour_script() -> str:
    section = README.read_text().split("## A five-minute tour", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_readme_tour_runs_as_written(system, product, tmp_path):
    script = tour_script()
    assert "http://127.0.0.1:8000" in script and "ada@example.com" in script
    script = script.replace("http://127.0.0.1:8000", system.url)
    script = script.replace("ada@example.com", f"ada-{uuid.uuid4().hex[:8]}@example.com")
    script = script.replace("tour-1", f"tour-{uuid.uuid4().hex[:8]}")
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True,
        timeout=TOUR_SECONDS,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "pending_payment -> confirmed by payments" in out
    # The admin's parcel of one: shipped, its price captured of the two authorized, invoiced.
    assert '"status": "shipped"' in out and '"status": "partially_captured"' in out
    invoice_number = re.search(r'"invoice_number": "(INV-\d{4}-\d{6})"', out).group(1)
    assert f'"number": "{invoice_number}"' in out
    assert (tmp_path / "invoice.pdf").read_bytes().startswith(b"%PDF-")
    assert '"lagMs"' in out
