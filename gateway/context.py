"""What a gateway app holds for its requests: the RPC pool, the token verifier, the limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app, g

if TYPE_CHECKING:
    from gateway.auth import TokenVerifier
    from gateway.ratelimit import RateLimiter
    from gateway.rpc import RpcPool
    from products.cache import ProductCache, SearchCache


@dataclass
class GatewayContext:
    rpc: RpcPool
    tokens: TokenVerifier
    limiter: RateLimiter
    products: ProductCache
    searches: SearchCache

    def call(self, service: str, method: str, *args, **kwargs):
        return self.rpc.call(service, method, *args, request_id=g.get("request_id"), **kwargs)


def oms() -> GatewayContext:
    return current_app.extensions["oms"]
