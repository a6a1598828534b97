"""What the system needs before its processes start, besides databases and keys: its broker
users (plumbing.broker), its Redis users (plumbing.redis_users) and the OAuth2 clients its
services call each other with.

Idempotent: `make run` and the tests run it every time."""

import logging

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from plumbing.broker import Grant, grant_of, provision
from plumbing.migrations import database_urls
from plumbing.redis_users import RedisGrant, redis_grant_of
from plumbing.redis_users import provision as provision_redis_users
from plumbing.unit_of_work import UnitOfWork
from scripts.system import GATEWAY, SERVICES, service_classes
from users import clients
from wire.access import SERVICE_CLIENT_SCOPES

log = logging.getLogger(__name__)

# Principals that only call services, through standalone proxies.
CALLERS = ("gateway", "operator")


def broker_grants(config: dict) -> list[Grant]:
    grants = [grant_of(cls, config) for cls in service_classes()]
    return grants + [Grant(principal, calls=tuple(SERVICES), nameko_shell=principal == "operator")
                     for principal in CALLERS]


def provision_broker(config: dict, extra_users: dict | None = None) -> None:
    provision(config, broker_grants(config), extra_users)


def redis_grants() -> dict[str, RedisGrant]:
    """Every process that uses Redis, and what it does there (the operator tools don't)."""
    from gateway.context import REDIS_GRANT

    return {**{cls.name: redis_grant_of(cls) for cls in service_classes()}, GATEWAY: REDIS_GRANT}


def provision_redis(config: dict) -> None:
    provision_redis_users(config, redis_grants())


def register_service_clients(config: dict) -> None:
    """Each service's client (config SERVICE_CLIENTS) as config says: its scopes, its secret, not
    revoked, managed (users.clients.ensure_client); a client config no longer names is released."""
    engine = create_engine(database_urls(config)["users"])
    try:
        with UnitOfWork(Session(engine), close=True) as uow:
            for service, client in config["SERVICE_CLIENTS"].items():
                done = clients.ensure_client(
                    uow.session,
                    client["CLIENT_ID"],
                    f"the {service} service",
                    list(SERVICE_CLIENT_SCOPES[service]),
                    client["SECRET"],
                    int(config["PASSWORD_HASH_ROUNDS"]),
                )
                if done != "unchanged":
                    print(f"{done} the {service} service's client {client['CLIENT_ID']}")
            configured = [client["CLIENT_ID"] for client in config["SERVICE_CLIENTS"].values()]
            for client_id in clients.release_unconfigured(uow.session, configured):
                print(f"client {client_id} is no longer a service's (not in SERVICE_CLIENTS): an admin may revoke it")
            uow.commit()
    finally:
        engine.dispose()


def provision_all(config: dict, extra_users: dict | None = None) -> None:
    provision_broker(config, extra_users)
    provision_redis(config)
    register_service_clients(config)


if __name__ == "__main__":
    from plumbing.config import load_config

    provision_all(load_config())
