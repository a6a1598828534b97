"""Service tests: a real service container on the test vhost, with real databases."""

import pytest
from sqlalchemy import create_engine, text

from notifications.service import NotificationsService
from payments.service import PaymentsService
from plumbing.migrations import database_urls
from products.service import ProductsService
from users.service import UsersService

ADMIN = {"id": "admin-1", "role": "admin"}


@pytest.fixture(autouse=True)
def empty_stores(config, redis_client):
    """Every service test starts with empty tables and an empty Redis db."""
    for url in database_urls(config).values():
        engine = create_engine(url)
        with engine.begin() as conn:
            tables = conn.execute(
                text(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalars().all()
            if tables:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        engine.dispose()
    redis_client.flushdb()


@pytest.fixture
def users_container(container_factory, config):
    container = container_factory(UsersService, config)
    container.start()
    return container


@pytest.fixture
def products_container(container_factory, config):
    container = container_factory(ProductsService, config)
    container.start()
    return container


@pytest.fixture
def payments_container(container_factory, config):
    container = container_factory(PaymentsService, config)
    container.start()
    return container


@pytest.fixture
def notifications_container(container_factory, config):
    container = container_factory(NotificationsService, config)
    container.start()
    return container
