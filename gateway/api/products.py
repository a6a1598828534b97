"""The catalog: public reads, admin writes."""


from gateway.api import ApiBlueprint, errors, json_body, page_of, query_args, reply
from gateway.auth import BEARER_AUTH, requires
from gateway.context import oms
from plumbing.access import CATALOG_WRITE, STOCK_WRITE
from plumbing.errors import NotFound
from plumbing.pagination import PageQuerySchema
from products.cache import DELETED, MISS
from products.schemas import (
    PriceChangeSchema,
    ProductCreateSchema,
    ProductQuerySchema,
    ProductSchema,
    ProductUpdateSchema,
    StockSchema,
)

blp = ApiBlueprint("products", __name__, url_prefix="/api/v1/products", description="The catalog")


@blp.route("", methods=["GET"])
@blp.arguments(ProductQuerySchema, location="query")
@blp.response(200, page_of(ProductSchema))
@errors(blp, 422, 429, 503)
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


@blp.route("/<product_id>", methods=["GET"])
@blp.response(200, ProductSchema)
@errors(blp, 404, 429, 503)
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


@blp.route("", methods=["POST"])
@requires(CATALOG_WRITE)
@blp.arguments(ProductCreateSchema)
@blp.response(201, ProductSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 409, 422, 429, 503)
def create_product(_):
    """Create a product (admin, or a client with catalog:write). `price` is a decimal string,
    `currency` ISO 4217."""
    return reply(oms().call("products", "create_product", json_body()), 201)


@blp.route("/<product_id>", methods=["PATCH"])
@requires(CATALOG_WRITE)
@blp.arguments(ProductUpdateSchema)
@blp.response(200, ProductSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 404, 409, 422, 429, 503)
def update_product(_, product_id):
    """Change a product (admin, or catalog:write); a new price is served from the moment this
    returns."""
    return reply(oms().call("products", "update_product", product_id, json_body()))


@blp.route("/<product_id>", methods=["DELETE"])
@requires(CATALOG_WRITE)
@blp.response(204)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 409, 429, 503)
def delete_product(product_id):
    """Delete a product (admin, or catalog:write)."""
    oms().call("products", "delete_product", product_id)
    return reply(None, 204)


@blp.route("/<product_id>/stock", methods=["PUT"])
@requires(STOCK_WRITE)
@blp.arguments(StockSchema)
@blp.response(200, ProductSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 404, 422, 429, 503)
def set_stock(_, product_id):
    """Set the units available for sale (admin, or a client with stock:write, e.g. an ERP)."""
    return reply(oms().call("products", "set_stock", product_id, json_body()))


@blp.route("/<product_id>/price-history", methods=["GET"])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_of(PriceChangeSchema))
@errors(blp, 404, 422, 429, 503)
def price_history(page, product_id):
    """The product's prices, newest first, each with the time it took effect."""
    return reply(oms().call("products", "get_price_history", product_id, page["page"], page["page_size"]))
