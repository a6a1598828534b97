"""The catalog: public reads, admin writes."""


from contracts.products_operations import (
    CREATE_PRODUCT,
    DELETE_PRODUCT,
    GET_PRICE_HISTORY,
    GET_PRODUCT,
    LIST_PRODUCTS,
    SET_STOCK,
    UPDATE_PRODUCT,
)
from gateway.api import ApiBlueprint, json_body, query_args, reply
from gateway.context import oms, services
from plumbing.product_cache import DELETED, MISS
from wire.errors import NotFound

blp = ApiBlueprint("products", __name__, url_prefix="/api/v1/products", description="The catalog")


@blp.operation(LIST_PRODUCTS)
def list_products(_):
    return reply(search_products(query_args()))


def search_products(query: dict) -> dict:
    """A page of products (REST and GraphQL), from the search cache of the catalog's generation."""
    generation, page = oms().searches.get(query)
    if page is None:
        page = services().products.list_products(query)
        if generation is not None:
            oms().searches.store(query, generation, page)
    return page


@blp.operation(GET_PRODUCT)
def get_product(product_id):
    cached = oms().products.get(product_id)
    if cached is DELETED:
        raise NotFound("No such product.")
    if cached is MISS:
        cached = services().products.get_product(product_id)
    return reply(cached)


@blp.operation(CREATE_PRODUCT)
def create_product(_):
    return reply(services().products.create_product(json_body()), 201)


@blp.operation(UPDATE_PRODUCT)
def update_product(_, product_id):
    return reply(services().products.update_product(product_id, json_body()))


@blp.operation(DELETE_PRODUCT)
def delete_product(product_id):
    services().products.delete_product(product_id)
    return reply(None, 204)


@blp.operation(SET_STOCK)
def set_stock(_, product_id):
    return reply(services().products.set_stock(product_id, json_body()))


@blp.operation(GET_PRICE_HISTORY)
def price_history(page, product_id):
    return reply(services().products.get_price_history(product_id, page["page"], page["page_size"]))
