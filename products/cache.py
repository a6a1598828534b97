"""Cache-aside for single products in Redis, safe against stale writes.

Each entry carries the row's version. Writers store the new version right after their
commit, deletions store a tombstone; a reader that fetched an older row from the database
can never overwrite a newer entry (the check-and-set runs in Redis as one script). So once
an update has returned, no reader is served the old price. Redis being down only means
reads go to the database.

The gateway reads the same entries (`GET /products/{id}` without an RPC on a hit), so the
entry format is a contract between products and the gateway: change both together."""

import json
import logging

import redis

from plumbing.redis_store import Redis

log = logging.getLogger(__name__)

# KEYS[1] entry; ARGV: version, payload ("" for a tombstone), ttl seconds.
_STORE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '^(%d+)|'))
  if version and version >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1
"""

MISS = object()
DELETED = object()


class ProductCache:
    def __init__(self, client: redis.Redis, ttl: int):
        self.client = client
        self.ttl = ttl
        self._store = client.register_script(_STORE_IF_NEWER)

    @staticmethod
    def key(product_id: str) -> str:
        return f"oms:products:product:{product_id}"

    def get(self, product_id: str):
        """The cached product dict, DELETED for a tombstone, or MISS."""
        try:
            entry = self.client.get(self.key(product_id))
        except redis.RedisError as exc:
            log.warning("product cache unavailable on read: %s", exc)
            return MISS
        if entry is None:
            return MISS
        payload = entry.split("|", 1)[1]
        return json.loads(payload) if payload else DELETED

    def store(self, product_id: str, version: int, product: dict | None) -> None:
        """Cache `product` at `version` unless a newer one is there; None stores a tombstone."""
        payload = json.dumps(product) if product is not None else ""
        try:
            self._store(keys=[self.key(product_id)], args=[version, payload, self.ttl])
        except redis.RedisError as exc:
            log.warning("product cache unavailable on write: %s", exc)


class CachedProducts(Redis):
    """The service's ProductCache: one per container, on its Redis client."""

    def setup(self):
        super().setup()
        self.cache = ProductCache(self.client, int(self.container.config["PRODUCT_CACHE_TTL_SECONDS"]))

    def get_dependency(self, worker_ctx) -> ProductCache:
        return self.cache
