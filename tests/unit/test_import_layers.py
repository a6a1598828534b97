"""The packages stack in layers, and no package imports one that imports it back (issue 23):

    wire        errors, money, validation, pagination, access rules: what the wire needs
    contracts   the wire itself: schemas, events, operations (on wire)
    plumbing    the shared runtime: unit of work, outbox, handlers, RPC, callers (on both)
    services    users, products, orders, payments, notifications, order_queries; the gateway
    operations  operator tools, which may read a service's code

Every import counts, a function's own included: a lazy import is still a dependency."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("users", "products", "orders", "payments", "notifications", "order_queries", "webhooks")
# What each package may import of this project, besides itself.
ALLOWED = {
    "wire": set(),
    "contracts": {"wire"},
    "plumbing": {"wire", "contracts"},
    **{service: {"wire", "contracts", "plumbing"} for service in SERVICES},
    "gateway": {"wire", "contracts", "plumbing"},
    "operations": {"wire", "contracts", "plumbing", *SERVICES},
}
# Every package of this project: a folder at the top with an __init__.py.
PROJECT_PACKAGES = {path.parent.name for path in ROOT.glob("*/__init__.py")}
TOP_LAYER = {"scripts", "tests"}  # may import anything


def imported_by_module(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever the import statement stands."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def imported_packages(package: str) -> dict[str, set[str]]:
    """This project's packages that `package` imports, each with the modules that import it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for imported in (imported_by_module(path) & PROJECT_PACKAGES) - {package}:
            found.setdefault(imported, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_package_has_a_layer():
    assert {"wire", "contracts", "plumbing", "orders", "gateway"} <= PROJECT_PACKAGES
    assert PROJECT_PACKAGES - TOP_LAYER == set(ALLOWED)


def test_the_import_reader_sees_imports_inside_functions_and_type_checking_blocks(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from orders.models import Order\n"
        "def f():\n    import products.cache\n"
    )
    assert {"orders", "products"} <= imported_by_module(module)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package):
    forbidden = {
        imported: sorted(where)
        for imported, where in imported_packages(package).items()
        if imported not in ALLOWED[package]
    }
    assert forbidden == {}, f"{package} may import only {sorted(ALLOWED[package])}"


def test_no_two_packages_import_each_other():
    imports = {package: set(imported_packages(package)) for package in ALLOWED}
    cycles = sorted(
        (a, b) for a, targets in imports.items() for b in targets if a < b and a in imports.get(b, set())
    )
    assert cycles == []
