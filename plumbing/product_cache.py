"""The product cache entry format: cache-aside for single products in Redis, safe against stale writes.

Each entry carries the row's version. Writers store the new version right after their
commit, deletions store a tombstone; a reader that fetched an older row from the database
can never overwrite a newer entry (the check-and-set runs in Redis as one script). So once
an update has returned, no reader is served the old price. Redis being down only means
reads go to the database.

Searches are cached too, by the gateway, under the catalog's generation: every stored product
version (stock changes included) moves the generation on, in the same script, so a search cached
before a write returned is never read after it. Search pages live SEARCH_CACHE_TTL seconds at most.

The gateway reads the same entries (`GET /products/{id}` and searches without an RPC on a hit),
so the format is a contract between products and the gateway: it lives here, and both use these
classes (products through `products.cache.CachedProducts`)."""

import hashlib
import json
import logging
import time

import redis

from plumbing.redis_users import grant

log = logging.getLogger(__name__)

GENERATION_KEY = "oms:products:generation"
PRODUCT_KEY_PREFIX = "oms:products:product:"
SEARCH_KEY_PREFIX = "oms:gateway:search:"  # the gateway's: it writes them

# KEYS[1] entry, KEYS[2] the generation; ARGV: version, payload ("" for a tombstone), ttl seconds,
# now in microseconds. A generation that was lost (Redis restarted, evicted) starts again from the
# clock, past any generation a cached search could still carry.
_STORE_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '^(%d+)|'))
  if version and version >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'NX')
redis.call('INCR', KEYS[2])
return 1
"""

# KEYS[1] the generation; ARGV[1] the search key without its generation. Returns {generation,
# page or false}; no generation (nothing written since Redis started) means no caching.
_SEARCH = """
local generation = redis.call('GET', KEYS[1])
if not generation then return {false, false} end
return {generation, redis.call('GET', ARGV[1] .. generation)}
"""

MISS = object()
DELETED = object()

# products writes entries (the script's GET, SET and INCR); the gateway only reads them.
PRODUCT_WRITER_GRANT = grant(
    write=[PRODUCT_KEY_PREFIX + "*", GENERATION_KEY], commands=["evalsha", "script|load", "get", "mget", "set", "incr"]
)
PRODUCT_READER_GRANT = grant(read=[PRODUCT_KEY_PREFIX + "*"], commands=["get", "mget"])
# The lookup is a read-only script (EVAL_RO): a key declared to EVALSHA counts as written.
SEARCH_GRANT = grant(read=[GENERATION_KEY], write=[SEARCH_KEY_PREFIX + "*"], commands=["eval_ro", "get", "set"])


class ProductCache:
    def __init__(self, client: redis.Redis, ttl: int):
        self.client = client
        self.ttl = ttl
        self._store = client.register_script(_STORE_IF_NEWER)

    @staticmethod
    def key(product_id: str) -> str:
        return f"{PRODUCT_KEY_PREFIX}{product_id}"

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

    def get_many(self, product_ids: list[str]) -> dict:
        """{product id: the cached dict or DELETED} for those in the cache, in one round trip."""
        if not product_ids:
            return {}
        try:
            entries = self.client.mget([self.key(product_id) for product_id in product_ids])
        except redis.RedisError as exc:
            log.warning("product cache unavailable on read: %s", exc)
            return {}
        found = {}
        for product_id, entry in zip(product_ids, entries, strict=True):
            if entry is not None:
                payload = entry.split("|", 1)[1]
                found[product_id] = json.loads(payload) if payload else DELETED
        return found

    def store(self, product_id: str, version: int, product: dict | None) -> None:
        """Cache `product` at `version` unless a newer one is there; None stores a tombstone."""
        payload = json.dumps(product) if product is not None else ""
        try:
            self._store(
                keys=[self.key(product_id), GENERATION_KEY],
                args=[version, payload, self.ttl, time.time_ns() // 1000],
            )
        except redis.RedisError as exc:
            log.warning("product cache unavailable on write: %s", exc)


class SearchCache:
    """Search pages by query, valid for one generation of the catalog (see the module doc)."""

    def __init__(self, client: redis.Redis, ttl: int):
        self.client = client
        self.ttl = ttl

    @staticmethod
    def query_key(query: dict) -> str:
        canonical = json.dumps(query, sort_keys=True, separators=(",", ":"))
        return SEARCH_KEY_PREFIX + hashlib.sha256(canonical.encode()).hexdigest() + ":"

    def get(self, query: dict) -> tuple[str | None, dict | None]:
        """(the generation to store a fresh page under, the cached page or None). No generation:
        don't store."""
        try:
            generation, page = self.client.eval_ro(_SEARCH, 1, GENERATION_KEY, self.query_key(query))
        except redis.RedisError as exc:
            log.warning("search cache unavailable on read: %s", exc)
            return None, None
        return generation, json.loads(page) if page else None

    def store(self, query: dict, generation: str, page: dict) -> None:
        """Cache a page computed after `generation` was read."""
        try:
            self.client.set(self.query_key(query) + generation, json.dumps(page), ex=self.ttl)
        except redis.RedisError as exc:
            log.warning("search cache unavailable on write: %s", exc)
