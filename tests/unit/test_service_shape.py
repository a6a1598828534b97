"""Every service shows what it exposes: each RPC, timer and event handler is defined in its
service file, or comes from a mixin that the service class names and whose docstring lists it
(read from the classes and their source, not by running them)."""

import ast
import inspect
from pathlib import Path

import pytest

from notifications.service import NotificationsService
from order_queries.service import OrderQueriesService
from orders.service import OrdersService
from payments.service import PaymentsService
from plumbing.mesh_service import MeshService
from products.service import ProductsService
from users.service import UsersService
from webhooks.service import WebhooksService

SERVICES = [UsersService, ProductsService, OrdersService, PaymentsService, NotificationsService, OrderQueriesService,
            WebhooksService]


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
    """Declared by the service class itself or by another of its bases (MeshService's `uow`)."""
    for mixin in mixins(service):
        declared = {name for cls in service.__mro__ if cls is not mixin for name in vars(cls)}
        missing = [attribute for attribute in mixin.NEEDS if attribute not in declared]
        assert missing == [], f"{service.__name__} mixes in {mixin.__name__} without {missing}"


@pytest.mark.parametrize("service", SERVICES, ids=lambda cls: cls.name)
def test_every_service_starts_from_the_mesh_base(service):
    assert service.__bases__[0] is MeshService


@pytest.mark.parametrize("service", SERVICES, ids=lambda cls: cls.name)
def test_every_entrypoint_says_what_it_does(service):
    undocumented = [name for name in exposed(service) if not (getattr(service, name).__doc__ or "").strip()]
    assert undocumented == []


def test_the_reader_finds_inherited_entrypoints():
    assert "ping" in exposed(MeshService) and "ping" in exposed(OrdersService)
    assert "ping" not in defined_in_file(OrdersService)
