"""The route tables of README.md and docs/api.md, generated from the OpenAPI document that the
gateway serves (scripts/openapi_document.py: no server, no broker), itself made from the
operations' declarations (contracts/<service>_operations.py) and the gateway's own routes:
method, path, the first sentence of the route's summary, and who may call it (its `x-access`,
gateway/api/__init__.py).

`python -m scripts.readme_routes` rewrites the tables; `--check` exits 1 when one is stale
(tests/unit/test_generated_docs.py)."""

import re
import sys

from scripts.doc_markers import main
from scripts.openapi_document import openapi_document

FILES = ("README.md", "docs/api.md")
MARKER = "routes"
METHODS = ("get", "post", "put", "patch", "delete")


def first_sentence(summary: str) -> str:
    text = " ".join(summary.split())
    match = re.match(r"(.+?(?<!e\.g)(?<!i\.e)[.?!])(\s|$)", text)
    return match[1] if match else text


def who(operation: dict) -> str:
    if not operation.get("security"):
        return "anyone"
    access = operation.get("x-access", {})
    needs = list(access.get("roles", [])) + [f"scope `{scope}`" for scope in access.get("scopes", [])]
    return ", ".join(needs) or "a token"


def route_rows(document: dict) -> list[tuple[str, str, str, str]]:
    """(method, path, summary, who) per operation, in the document's order."""
    rows = []
    for path, operations in document["paths"].items():
        for method in METHODS:
            if method in operations:
                operation = operations[method]
                rows.append((method.upper(), path, first_sentence(operation.get("summary", "")), who(operation)))
    return rows


def render(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| method | path | what | who may call |", "|---|---|---|---|"]
    for method, path, summary, access in rows:
        summary = summary.replace("|", r"\|")  # a pipe would end the cell
        lines.append(f"| `{method}` | `{path}` | {summary} | {access} |")
    return "\n".join(lines)


def route_table() -> str:
    return render(route_rows(openapi_document()))


if __name__ == "__main__":
    sys.exit(main(FILES, MARKER, route_table(), sys.argv[1:], "scripts.readme_routes"))
