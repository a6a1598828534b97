"""What a gateway app holds for its requests: the RPC pool, the token verifier, the limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app, g

from contracts.clients import Services
from gateway import ratelimit
from gateway.ratelimit import client_address
from plumbing.product_cache import PRODUCT_READER_GRANT, SEARCH_GRANT
from plumbing.tokens import VERIFIER_GRANT

if TYPE_CHECKING:
    from gateway.ratelimit import RateLimiter
    from gateway.rpc import RpcPool
    from plumbing.product_cache import ProductCache, SearchCache
    from plumbing.tokens import TokenVerifier


# What the gateway does in Redis, as its own user (plumbing/redis_users.py).
REDIS_GRANT = VERIFIER_GRANT | PRODUCT_READER_GRANT | SEARCH_GRANT | ratelimit.GRANT


@dataclass
class GatewayContext:
    rpc: RpcPool
    tokens: TokenVerifier
    limiter: RateLimiter
    products: ProductCache
    searches: SearchCache

    services: Services = field(init=False)  # every service's typed client, calling through `call`

    def __post_init__(self):
        self.services = Services(self.call)

    def call(self, service: str, method: str, *args, **kwargs):
        """service.method(*args, **kwargs) with the request's id, the client's address and, on a
        protected route, its bearer token: the service checks the caller itself."""
        return self.rpc.call(
            service,
            method,
            *args,
            request_id=g.get("request_id"),
            auth_token=g.get("token"),
            client_address=client_address(),
            **kwargs,
        )


def oms() -> GatewayContext:
    return current_app.extensions["oms"]


def services() -> Services:
    """The services, as the current request calls them: `services().orders.get_order(order_id)`."""
    return oms().services
