"""products' handle on the product cache (the entry format: plumbing/product_cache.py)."""

from plumbing.product_cache import PRODUCT_WRITER_GRANT, ProductCache
from plumbing.redis_store import Redis


class CachedProducts(Redis):
    """The service's ProductCache: one per container, on its Redis client."""

    redis_grant = PRODUCT_WRITER_GRANT

    def setup(self):
        super().setup()
        self.cache = ProductCache(self.client, int(self.container.config["PRODUCT_CACHE_TTL_SECONDS"]))

    def get_dependency(self, worker_ctx) -> ProductCache:
        return self.cache
