"""The generated sections of the docs match what they are generated from: the route tables of
README.md and docs/api.md (the gateway's OpenAPI document) and the event reference of
docs/events.md (contracts/events.py). Fix a failure with the command it names."""

import subprocess
import sys

from plumbing.config import PROJECT_ROOT
from scripts import event_docs
from scripts.doc_markers import fill


def test_the_route_tables_match_the_openapi_document():
    # In a process of its own: building the gateway's app configures logging and registers its
    # metrics, which this test process must not inherit.
    result = subprocess.run(
        [sys.executable, "-m", "scripts.readme_routes", "--check"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_event_reference_matches_the_contracts():
    text = (PROJECT_ROOT / "docs/events.md").read_text()
    assert fill(text, event_docs.MARKER, event_docs.events_reference()) == text, (
        "docs/events.md is stale: run `python -m scripts.event_docs`"
    )


def test_a_stale_section_is_replaced_and_the_prose_around_it_kept():
    text = "before\n<!-- routes:begin -->\nold table\n<!-- routes:end -->\nafter\n"
    assert fill(text, "routes", "new table") == (
        "before\n<!-- routes:begin -->\nnew table\n<!-- routes:end -->\nafter\n"
    )
