"""The gateway knows the services only through their contracts: it imports `contracts`,
`plumbing` and itself, never a service's package (read from the source, not by running it)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"contracts", "plumbing", "gateway"}
# Every package of this project: a folder at the top with an __init__.py.
PROJECT_PACKAGES = {path.parent.name for path in ROOT.glob("*/__init__.py")}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever the import statement stands."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_gateway_imports_no_service_package():
    modules = sorted((ROOT / "gateway").rglob("*.py"))
    assert modules and {"orders", "products", "contracts"} <= PROJECT_PACKAGES
    reaching_in = {
        str(path.relative_to(ROOT)): sorted((imported_packages(path) & PROJECT_PACKAGES) - ALLOWED)
        for path in modules
    }
    assert {path: names for path, names in reaching_in.items() if names} == {}


def test_the_import_reader_sees_imports_inside_functions_and_type_checking_blocks(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from orders.models import Order\n"
        "def f():\n    import products.cache\n"
    )
    assert {"orders", "products"} <= imported_packages(module)


def test_contracts_import_no_service_package():
    reaching_in = {
        str(path.relative_to(ROOT)): sorted((imported_packages(path) & PROJECT_PACKAGES) - {"contracts", "plumbing"})
        for path in sorted((ROOT / "contracts").rglob("*.py"))
    }
    assert {path: names for path, names in reaching_in.items() if names} == {}
