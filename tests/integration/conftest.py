"""Service tests: a real service container on the test vhost, with real databases."""

import eventlet
import pytest
from nameko.extensions import Entrypoint
from nameko.testing.services import entrypoint_hook
from nameko.testing.utils import get_extension

from notifications.service import NotificationsService
from orders.service import OrdersService
from payments.service import PaymentsService
from plumbing.callers import AUTH_TOKEN_KEY
from products.service import ProductsService
from tests import stores
from tests.integration.fake_smtp import FakeSmtpServer
from tests.tokens import Client, User
from users.service import UsersService


@pytest.fixture(autouse=True)
def empty_stores(config, redis_client):
    """Every service test starts with empty tables (but the services' own clients) and an empty
    Redis db."""
    stores.empty_stores(config, redis_client)


@pytest.fixture
def start_container(container_factory, config):
    """Start a real service container on the test vhost; the plugin kills it afterwards."""

    def start(service_cls, service_config: dict | None = None):
        container = container_factory(service_cls, service_config or config)
        container.start()
        return container

    return start


def call(container, method, *args, as_: User | Client | str | None = None, **kwargs):
    """Call one entrypoint of a running container, as a worker would run it, as `as_`: a user or
    a client (tests.tokens), or an access token; anonymous without."""
    token = as_.token if isinstance(as_, User | Client) else as_
    context = {AUTH_TOKEN_KEY: token} if token else None
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args, **kwargs)


def spawn_call(container, method, *args, as_: User | Client | str | None = None, **kwargs) -> eventlet.event.Event:
    """Start a call as `call` does, without waiting: `.wait()` returns its result or raises its
    error. For calls that must run at once: `call`'s entrypoint hook patches the container while
    it waits, and two such patches on one container undo each other when they end out of order
    (the call that ends last then never sees its result)."""
    token = as_.token if isinstance(as_, User | Client) else as_
    done = eventlet.event.Event()

    def handle_result(worker_ctx, result, exc_info):
        if exc_info is None:
            done.send(result)
        else:
            done.send_exception(exc_info[1])
        return result, exc_info

    container.spawn_worker(
        get_extension(container, Entrypoint, method_name=method), args, kwargs,
        context_data={AUTH_TOKEN_KEY: token} if token else None, handle_result=handle_result,
    )
    return done


def service_container(service_cls, needs_users: bool = False):
    """A fixture running `service_cls`, after the users container if it `needs_users`."""

    def container(start_container, request):
        if needs_users:
            request.getfixturevalue("users_container")
        return start_container(service_cls)

    container.__doc__ = f"A running {service_cls.name} container{', users started first' if needs_users else ''}."
    return pytest.fixture(container)


users_container = service_container(UsersService)
# With users: orders calls products and products calls orders with the client token users issues;
# payments asks it for a buyer's email it hasn't heard of, with its client token.
orders_container = service_container(OrdersService, needs_users=True)
products_container = service_container(ProductsService, needs_users=True)
payments_container = service_container(PaymentsService, needs_users=True)
notifications_container = service_container(NotificationsService)


@pytest.fixture
def smtp_server():
    """A fake mail server (outside the system, so it may be faked); its `messages`."""
    server = FakeSmtpServer()
    yield server
    server.close()
