"""The product cache never serves a stale price: real service, the test Redis db, the real database."""

import pytest
from sqlalchemy import create_engine, text

from plumbing.migrations import database_urls
from plumbing.product_cache import DELETED, GENERATION_KEY, MISS, ProductCache, SearchCache
from plumbing.redis_store import connect
from products.service import ProductsService
from tests.integration.conftest import call
from tests.tokens import ADMIN
from wire.errors import NotFound

WIDGET = {"sku": "WID-001", "name": "Blue widget", "price": "10.00", "currency": "USD", "stock": 5}
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def cache(redis_client, config) -> ProductCache:
    return ProductCache(redis_client, int(config["PRODUCT_CACHE_TTL_SECONDS"]))


@pytest.fixture
def db_version(config):
    """Reads a product's version straight from the database, as a reader about to cache it would."""
    engine = create_engine(database_urls(config)["products"])

    def read(product_id: str) -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version FROM products WHERE id = :id"), {"id": product_id}).scalar()

    yield read
    engine.dispose()


def test_get_fills_the_cache_and_an_update_replaces_the_cached_price(
    products_container, cache, redis_client
):
    product = call(products_container, "create_product", WIDGET, as_=ADMIN)
    redis_client.flushdb()
    assert cache.get(product["id"]) is MISS
    assert call(products_container, "get_product", product["id"])["price"] == "10.00"
    assert cache.get(product["id"]) == product
    assert redis_client.ttl(ProductCache.key(product["id"])) > 0

    call(products_container, "update_product", product["id"], {"price": "12.00"}, as_=ADMIN)
    assert cache.get(product["id"])["price"] == "12.00"
    assert call(products_container, "get_product", product["id"])["price"] == "12.00"


def test_get_is_served_from_the_cache_when_it_holds_the_current_version(products_container, cache):
    product = call(products_container, "create_product", WIDGET, as_=ADMIN)
    # Only a cache hit can return this: the database still says "Blue widget".
    cache.store(product["id"], 10**6, {**product, "name": "From the cache"})
    assert call(products_container, "get_product", product["id"])["name"] == "From the cache"


def test_slow_reader_storing_an_older_version_does_not_replace_the_new_price(
    products_container, cache, db_version
):
    product = call(products_container, "create_product", WIDGET, as_=ADMIN)
    # The slow reader: it read version N from the database, then stalls before caching it.
    stale_version = db_version(product["id"])
    stale_data = call(products_container, "get_product", product["id"])
    # Meanwhile the writer commits N+1 and caches it.
    updated = call(products_container, "update_product", product["id"], {"price": "12.00"}, as_=ADMIN)
    assert db_version(product["id"]) == stale_version + 1
    # The reader wakes up and stores what it read.
    cache.store(product["id"], stale_version, stale_data)

    assert cache.get(product["id"]) == updated
    assert call(products_container, "get_product", product["id"])["price"] == "12.00"


def test_store_of_the_same_version_keeps_the_entry_and_a_newer_version_replaces_it(cache):
    cache.store("p1", 3, {"price": "3.00"})
    cache.store("p1", 3, {"price": "stale"})
    assert cache.get("p1") == {"price": "3.00"}
    cache.store("p1", 4, {"price": "4.00"})
    assert cache.get("p1") == {"price": "4.00"}
    cache.store("p1", 2, {"price": "2.00"})
    assert cache.get("p1") == {"price": "4.00"}


def test_tombstone_from_delete_beats_a_late_store_of_an_older_version(
    products_container, orders_container, cache, db_version
):
    product = call(products_container, "create_product", WIDGET, as_=ADMIN)
    last_version = db_version(product["id"])
    stale_data = call(products_container, "get_product", product["id"])
    call(products_container, "delete_product", product["id"], as_=ADMIN)
    assert cache.get(product["id"]) is DELETED

    cache.store(product["id"], last_version, stale_data)

    assert cache.get(product["id"]) is DELETED
    with pytest.raises(NotFound):
        call(products_container, "get_product", product["id"])


def test_tombstone_keeps_a_deleted_product_hidden_when_the_cache_was_empty(
    products_container, orders_container, cache, redis_client
):
    product = call(products_container, "create_product", WIDGET, as_=ADMIN)
    redis_client.flushdb()
    call(products_container, "delete_product", product["id"], as_=ADMIN)
    assert cache.get(product["id"]) is DELETED
    with pytest.raises(NotFound):
        call(products_container, "get_product", product["id"])


def test_cache_with_redis_down_misses_on_get_and_ignores_store(config):
    unreachable = connect(CLOSED_PORT_REDIS)
    try:
        down = ProductCache(unreachable, int(config["PRODUCT_CACHE_TTL_SECONDS"]))
        assert down.get("any-id") is MISS
        assert down.store("any-id", 1, {"price": "1.00"}) is None
        assert down.store("any-id", 2, None) is None
    finally:
        unreachable.close()


def test_service_with_redis_down_reads_and_writes_through_the_database(container_factory, config, orders_container):
    container = container_factory(ProductsService, {**config, "REDIS_URI": CLOSED_PORT_REDIS})
    container.start()
    product = call(container, "create_product", WIDGET, as_=ADMIN)
    assert call(container, "get_product", product["id"]) == product
    call(container, "update_product", product["id"], {"price": "12.00"}, as_=ADMIN)
    assert call(container, "get_product", product["id"])["price"] == "12.00"
    call(container, "delete_product", product["id"], as_=ADMIN)
    with pytest.raises(NotFound):
        call(container, "get_product", product["id"])


@pytest.fixture
def searches(redis_client, config) -> SearchCache:
    return SearchCache(redis_client, int(config["SEARCH_CACHE_TTL_SECONDS"]))


def test_a_search_page_is_valid_only_for_the_generation_it_was_read_under(products_container, searches):
    product = call(products_container, "create_product", WIDGET, as_=ADMIN)
    query = {"q": "widget"}
    generation, page = searches.get(query)
    assert generation is not None and page is None
    fresh = call(products_container, "list_products", query)
    searches.store(query, generation, fresh)
    assert searches.get(query) == (generation, fresh)

    call(products_container, "adjust_stock", product["id"], {"delta": 1}, as_=ADMIN)
    later, page = searches.get(query)
    assert int(later) > int(generation) and page is None


def test_a_lost_generation_starts_again_past_every_earlier_one(products_container, searches, redis_client):
    product = call(products_container, "create_product", WIDGET, as_=ADMIN)
    generation, _ = searches.get({})
    redis_client.delete(GENERATION_KEY)
    assert searches.get({}) == (None, None)  # nothing to key a page on: no caching
    call(products_container, "adjust_stock", product["id"], {"delta": 1}, as_=ADMIN)
    assert int(searches.get({})[0]) > int(generation)


def test_without_redis_searches_are_simply_not_cached(config):
    down = SearchCache(connect(CLOSED_PORT_REDIS), int(config["SEARCH_CACHE_TTL_SECONDS"]))
    assert down.get({"q": "widget"}) == (None, None)
    down.store({"q": "widget"}, "1", {"items": []})  # logged, not raised
