"""One place commits (plumbing/unit_of_work.py): in the services and plumbing, a transaction ends
with `uow.commit()` as the last statement of its block, and a write that commits on its own says
so with `uow.commit_aside(...)`. Read from the source, not by running it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orders", "products", "payments", "users", "notifications", "order_queries", "webhooks", "plumbing")
# Files that may commit otherwise, and why.
EXEMPT = {
    "plumbing/unit_of_work.py": "the unit of work itself: the place that commits",
    "plumbing/db.py": "makes the autocommit engine that commit_aside writes through",
    "plumbing/outbox.py": "the sender and relay mark published rows sent on connections of their own",
    "plumbing/migrations.py": "creates and drops databases, before and after any service runs",
}
# Calls that commit, or open a transaction or an autocommit connection, outside the unit of work.
COMMITTING_METHODS = {"commit", "begin", "begin_nested"}
AUTOCOMMIT_NAMES = {"autocommit_connection", "autocommit_twin"}


def _imported_modules(tree: ast.Module) -> set[str]:
    """Names that stand for modules here (`import x`, `from products import reservations`):
    their `commit(...)` is a function of the domain, not a transaction's."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            folder = ROOT.joinpath(*node.module.split("."))
            names.update(
                alias.asname or alias.name
                for alias in node.names
                if (folder / f"{alias.name}.py").is_file() or (folder / alias.name / "__init__.py").is_file()
            )
    return names


def _is_uow_commit(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "commit"
        and isinstance(node.value.func.value, ast.Name)
        and node.value.func.value.id == "uow"
    )


def commits_elsewhere(source: str) -> list[str]:
    """Where `source` commits other than by `uow.commit()` as its block's last statement."""
    tree = ast.parse(source)
    modules = _imported_modules(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in COMMITTING_METHODS:
                receiver = func.value
                allowed = isinstance(receiver, ast.Name) and (
                    receiver.id in modules or (receiver.id == "uow" and func.attr == "commit")
                )
                if not allowed:
                    found.append((node.lineno, f"{ast.unparse(func)}(...)"))
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in AUTOCOMMIT_NAMES:
                found.append((node.lineno, f"{name}(...) (use uow.commit_aside)"))
            if any(keyword.arg == "isolation_level" for keyword in node.keywords):
                found.append((node.lineno, "isolation_level=... (use uow.commit_aside)"))
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list):
                found.extend(
                    (statement.lineno, "uow.commit() is not the last statement of its block")
                    for statement in statements[:-1]
                    if _is_uow_commit(statement)
                )
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_services_commit_only_through_their_unit_of_work():
    modules = [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts[1:]
    ]
    assert len(modules) > 30 and all((ROOT / path).is_file() for path in EXEMPT)
    breaches = {
        str(path.relative_to(ROOT)): commits_elsewhere(path.read_text())
        for path in modules
        if str(path.relative_to(ROOT)) not in EXEMPT
    }
    assert {path: lines for path, lines in breaches.items() if lines} == {}


def test_the_reader_finds_commits_outside_the_unit_of_work():
    source = """
from sqlalchemy.orm import Session
from products import reservations
from plumbing.db import autocommit_connection

def handler(uow, session, engine):
    reservations.commit(uow.session, "o1")   # a domain function: allowed
    session.commit()
    with engine.begin() as conn:
        pass
    with autocommit_connection(session) as conn:
        pass
    engine.execution_options(isolation_level="AUTOCOMMIT")
    with uow:
        uow.commit()
        return 1

def fine(uow):
    with uow:
        uow.commit_aside(print, "x")
        uow.commit()
    return 2
"""
    assert commits_elsewhere(source) == [
        "line 8: session.commit(...)",
        "line 9: engine.begin(...)",
        "line 11: autocommit_connection(...) (use uow.commit_aside)",
        "line 13: isolation_level=... (use uow.commit_aside)",
        "line 15: uow.commit() is not the last statement of its block",
    ]
