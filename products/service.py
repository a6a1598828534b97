"""The products service: the catalog, prices with their history, and stock."""

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko_sqlalchemy import Database

from plumbing.actors import require_admin
from plumbing.errors import EXPECTED_ERRORS, Invalid, NotFound
from plumbing.health import Pingable
from plumbing.logs import RequestIdLogging
from plumbing.pagination import PageQuerySchema, PageRequest, paged
from plumbing.redis_store import Redis
from plumbing.validation import load
from products import catalog
from products.cache import DELETED, MISS, ProductCache
from products.models import Base, Product
from products.schemas import (
    PriceChangeSchema,
    ProductCreateSchema,
    ProductQuerySchema,
    ProductSchema,
    ProductUpdateSchema,
    StockAdjustmentSchema,
    StockSchema,
)

product_schema = ProductSchema()
price_change_schema = PriceChangeSchema()


class ProductsService(Pingable):
    name = "products"

    config = Config()
    db = Database(Base)
    redis = Redis()
    request_logging = RequestIdLogging()

    @property
    def cache(self) -> ProductCache:
        return ProductCache(self.redis, int(self.config["PRODUCT_CACHE_TTL_SECONDS"]))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_product(self, payload: dict, actor: dict) -> dict:
        """Create a product (admin); its first price opens its price history."""
        require_admin(actor)
        product = catalog.create_product(self.db.session, load(ProductCreateSchema(), payload))
        return self._commit_and_cache(product)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_product(self, product_id: str) -> dict:
        """One product, from the cache when it holds the current version."""
        cache = self.cache
        cached = cache.get(product_id) if isinstance(product_id, str) else MISS
        if cached is DELETED:
            raise NotFound("No such product.")
        if cached is not MISS:
            return cached
        product = catalog.get_product(self.db.session, product_id)
        data = product_schema.dump(product)
        cache.store(product.id, product.version, data)
        return data

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_products(self, query: dict | None = None) -> dict:
        """A page of products: {q, min_price, max_price, in_stock, currency, page, page_size}."""
        query = load(ProductQuerySchema(), query or {})
        page = PageRequest(query.pop("page"), query.pop("page_size"))
        products, total = catalog.search_products(self.db.session, query, page)
        return paged(product_schema.dump(products, many=True), page, total)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_product(self, product_id: str, changes: dict, actor: dict) -> dict:
        """Change sku, name, description, price or currency (admin). A price or currency
        change is added to the price history; the cache holds the new version on return."""
        require_admin(actor)
        changes = load(ProductUpdateSchema(), changes)
        if not changes:
            raise Invalid("Nothing to change.")
        product = catalog.get_product(self.db.session, product_id, lock=True)
        return self._commit_and_cache(catalog.update_product(self.db.session, product, changes))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_stock(self, product_id: str, payload: dict, actor: dict) -> dict:
        """Set the units available for sale to {stock} (admin)."""
        require_admin(actor)
        stock = load(StockSchema(), payload)["stock"]
        product = catalog.get_product(self.db.session, product_id, lock=True)
        return self._commit_and_cache(catalog.set_stock(self.db.session, product, stock))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def adjust_stock(self, product_id: str, payload: dict, actor: dict) -> dict:
        """Add {delta} units (negative to remove); Invalid if stock would go below zero."""
        require_admin(actor)
        delta = load(StockAdjustmentSchema(), payload)["delta"]
        product = catalog.get_product(self.db.session, product_id, lock=True)
        return self._commit_and_cache(catalog.adjust_stock(self.db.session, product, delta))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def delete_product(self, product_id: str, actor: dict) -> None:
        """Delete a product and its price history (admin)."""
        require_admin(actor)
        product = catalog.get_product(self.db.session, product_id, lock=True)
        tombstone_version = product.version + 1
        self.db.session.delete(product)
        self.db.session.commit()
        self.cache.store(product_id, tombstone_version, None)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_price_history(self, product_id: str, page: int = 1, page_size: int = 20) -> dict:
        """The product's prices, newest first, each with the time it took effect."""
        page = PageRequest(**load(PageQuerySchema(), {"page": page, "page_size": page_size}))
        product = catalog.get_product(self.db.session, product_id)
        changes, total = catalog.price_history(self.db.session, product.id, page)
        return paged(price_change_schema.dump(changes, many=True), page, total)

    def _commit_and_cache(self, product: Product) -> dict:
        self.db.session.commit()
        data = product_schema.dump(product)
        self.cache.store(product.id, product.version, data)
        return data
