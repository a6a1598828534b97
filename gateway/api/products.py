"""The catalog: public reads, admin writes."""


from contracts.products import (
    PriceChangeSchema,
    ProductCreateSchema,
    ProductQuerySchema,
    ProductSchema,
    ProductUpdateSchema,
    StockSchema,
)
from gateway.api import ApiBlueprint, json_body, page_of, query_args, reply
from gateway.context import oms
from plumbing.product_cache import DELETED, MISS
from wire.access import CATALOG_WRITE, STOCK_WRITE
from wire.errors import NotFound
from wire.pagination import PageQuerySchema

blp = ApiBlueprint("products", __name__, url_prefix="/api/v1/products", description="The catalog")


@blp.operation("", "GET", query=ProductQuerySchema, schema=page_of(ProductSchema))
def list_products(_):
    """Products, newest first; `q` searches name and description (best match first);
    filter by `min_price`, `max_price`, `currency`, `in_stock`. Pages are cached for the
    catalog's current generation: a product change, stock included, is seen by the next search."""
    return reply(search_products(query_args()))


def search_products(query: dict) -> dict:
    """A page of products (REST and GraphQL), from the search cache of the catalog's generation."""
    generation, page = oms().searches.get(query)
    if page is None:
        page = oms().call("products", "list_products", query)
        if generation is not None:
            oms().searches.store(query, generation, page)
    return page


@blp.operation("/<product_id>", "GET", schema=ProductSchema, raises=(404,))
def get_product(product_id):
    """One product. Read from the cache products keeps, without an RPC when it holds the
    product: products stores each new version right after its commit, so once an update has
    returned, no read gets the old one."""
    cached = oms().products.get(product_id)
    if cached is DELETED:
        raise NotFound("No such product.")
    if cached is MISS:
        cached = oms().call("products", "get_product", product_id)
    return reply(cached)


@blp.operation(
    "",
    "POST",
    access=CATALOG_WRITE,
    body=ProductCreateSchema,
    status=201,
    schema=ProductSchema,
    raises=(409,),
)
def create_product(_):
    """Create a product (admin, or a client with catalog:write). `price` is a decimal string,
    `currency` ISO 4217."""
    return reply(oms().call("products", "create_product", json_body()), 201)


@blp.operation(
    "/<product_id>",
    "PATCH",
    access=CATALOG_WRITE,
    body=ProductUpdateSchema,
    schema=ProductSchema,
    raises=(404, 409),
)
def update_product(_, product_id):
    """Change a product (admin, or catalog:write); a new price is served from the moment this
    returns."""
    return reply(oms().call("products", "update_product", product_id, json_body()))


@blp.operation("/<product_id>", "DELETE", access=CATALOG_WRITE, status=204, raises=(404, 409))
def delete_product(product_id):
    """Delete a product (admin, or catalog:write)."""
    oms().call("products", "delete_product", product_id)
    return reply(None, 204)


@blp.operation("/<product_id>/stock", "PUT", access=STOCK_WRITE, body=StockSchema, schema=ProductSchema, raises=(404,))
def set_product_stock(_, product_id):
    """Set the units available for sale (admin, or a client with stock:write, e.g. an ERP)."""
    return reply(oms().call("products", "set_stock", product_id, json_body()))


@blp.operation(
    "/<product_id>/price-history",
    "GET",
    query=PageQuerySchema,
    schema=page_of(PriceChangeSchema),
    raises=(404,),
)
def get_product_price_history(page, product_id):
    """The product's prices, newest first, each with the time it took effect."""
    return reply(oms().call("products", "get_price_history", product_id, page["page"], page["page_size"]))
