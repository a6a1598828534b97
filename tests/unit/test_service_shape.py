"""Every service shows what it exposes: each RPC, timer and event handler is defined in its
service file, or comes from a mixin that the service class names and whose docstring lists it
(read from the classes and their source, not by running them)."""

import ast
import inspect
from pathlib import Path

import pytest

from notifications.service import NotificationsService
from orders.service import OrdersService
from payments.service import PaymentsService
from products.service import ProductsService
from users.service import UsersService

SERVICES = [UsersService, ProductsService, OrdersService, PaymentsService, NotificationsService]


def exposed(cls) -> set[str]:
    """The names of the class's entrypoints, inherited ones included."""
    return {name for name in dir(cls) if getattr(getattr(cls, name), "nameko_entrypoints", None)}


def mixins(service) -> list[type]:
    return [base for base in service.__bases__ if base is not object]


def defined_in_file(service) -> set[str]:
    """Methods defined in the service's own class statement."""
    tree = ast.parse(Path(inspect.getfile(service)).read_text())
    [node] = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == service.__name__]
    return {item.name for item in node.body if isinstance(item, ast.FunctionDef)}


@pytest.mark.parametrize("service", SERVICES, ids=lambda cls: cls.name)
def test_every_entrypoint_is_defined_in_the_service_file_or_listed_for_a_named_mixin(service):
    own = defined_in_file(service)
    docstring = service.__doc__ or ""
    from_mixins = {
        name
        for mixin in mixins(service)
        for name in exposed(mixin)
        if mixin.__name__ in docstring and name in docstring and name in (mixin.__doc__ or "")
    }
    assert exposed(service), "a service without entrypoints: the reader is broken"
    assert exposed(service) - own - from_mixins == set()


@pytest.mark.parametrize("service", SERVICES, ids=lambda cls: cls.name)
def test_a_service_declares_what_its_mixins_need(service):
    for mixin in mixins(service):
        missing = [attribute for attribute in mixin.NEEDS if attribute not in vars(service)]
        assert missing == [], f"{service.__name__} mixes in {mixin.__name__} without {missing}"


@pytest.mark.parametrize("service", SERVICES, ids=lambda cls: cls.name)
def test_every_entrypoint_says_what_it_does(service):
    undocumented = [name for name in exposed(service) if not (getattr(service, name).__doc__ or "").strip()]
    assert undocumented == []


def test_the_reader_finds_inherited_entrypoints():
    from plumbing.health import Pingable

    assert "ping" in exposed(Pingable) and "ping" in exposed(OrdersService)
    assert "ping" not in defined_in_file(OrdersService)
