"""The products service's operations (contracts.operation)."""

from contracts.operation import Http, Operation, page_of
from contracts.products import (
    PriceChangeSchema,
    ProductCreateSchema,
    ProductQuerySchema,
    ProductSchema,
    ProductUpdateSchema,
    ReservationSchema,
    StockSchema,
)
from wire.access import ADMIN_ONLY, CATALOG_WRITE, PUBLIC, STOCK_READ, STOCK_RELEASE, STOCK_RESERVE, STOCK_WRITE
from wire.errors import Conflict, Invalid, NotFound
from wire.pagination import PageQuerySchema

SERVICE = "products"
TAG = "products"

LIST_PRODUCTS = Operation(
    id="listProducts",
    service=SERVICE,
    method="list_products",
    access=PUBLIC,
    doc="""Products, newest first; `q` searches name and description (best match first);
    filter by `min_price`, `max_price`, `currency`, `in_stock`. Pages are cached for the
    catalog's current generation: a product change, stock included, is seen by the next search.""",
    query=ProductQuerySchema,
    reply=page_of(ProductSchema),
    errors=(Invalid,),
    http=Http("GET", "/products", TAG),
)
GET_PRODUCT = Operation(
    id="getProduct",
    service=SERVICE,
    method="get_product",
    access=PUBLIC,
    doc="""One product. Read from the cache products keeps, without an RPC when it holds the
    product: products stores each new version right after its commit, so once an update has
    returned, no read gets the old one.""",
    reply=ProductSchema,
    errors=(NotFound,),
    http=Http("GET", "/products/<product_id>", TAG),
)
GET_PRODUCTS = Operation(
    id="getProducts",
    service=SERVICE,
    method="get_products",
    access=PUBLIC,
    doc="Several products by id, those that exist (GraphQL's batches).",
    errors=(Invalid,),
)
CREATE_PRODUCT = Operation(
    id="createProduct",
    service=SERVICE,
    method="create_product",
    access=CATALOG_WRITE,
    doc="""Create a product (admin, or a client with catalog:write). `price` is a decimal string,
    `currency` ISO 4217.""",
    body=ProductCreateSchema,
    reply=ProductSchema,
    errors=(Conflict, Invalid),
    http=Http("POST", "/products", TAG, status=201),
)
UPDATE_PRODUCT = Operation(
    id="updateProduct",
    service=SERVICE,
    method="update_product",
    access=CATALOG_WRITE,
    doc="""Change a product (admin, or catalog:write); a new price is served from the moment this
    returns.""",
    body=ProductUpdateSchema,
    reply=ProductSchema,
    errors=(NotFound, Conflict, Invalid),
    http=Http("PATCH", "/products/<product_id>", TAG),
)
SET_STOCK = Operation(
    id="setProductStock",
    service=SERVICE,
    method="set_stock",
    access=STOCK_WRITE,
    doc="Set the units available for sale (admin, or a client with stock:write, e.g. an ERP).",
    body=StockSchema,
    reply=ProductSchema,
    errors=(NotFound, Invalid),
    http=Http("PUT", "/products/<product_id>/stock", TAG),
)
ADJUST_STOCK = Operation(
    id="adjustStock",
    service=SERVICE,
    method="adjust_stock",
    access=STOCK_WRITE,
    doc="Add to or take from a product's stock by a delta.",
    errors=(NotFound, Conflict, Invalid),
)
DELETE_PRODUCT = Operation(
    id="deleteProduct",
    service=SERVICE,
    method="delete_product",
    access=CATALOG_WRITE,
    doc="Delete a product (admin, or catalog:write).",
    errors=(NotFound, Conflict),
    http=Http("DELETE", "/products/<product_id>", TAG, status=204),
)
GET_PRICE_HISTORY = Operation(
    id="getProductPriceHistory",
    service=SERVICE,
    method="get_price_history",
    access=PUBLIC,
    doc="The product's prices, newest first, each with the time it took effect.",
    query=PageQuerySchema,
    reply=page_of(PriceChangeSchema),
    errors=(NotFound, Invalid),
    http=Http("GET", "/products/<product_id>/price-history", TAG),
)
RESERVE_STOCK = Operation(
    id="reserveStock",
    service=SERVICE,
    method="reserve_stock",
    access=STOCK_RESERVE,
    doc="Reserve stock for an order, all items or none, at the catalog's prices (orders).",
    reply=ReservationSchema,
    errors=(Conflict, Invalid),
)
COMMIT_RESERVATION = Operation(
    id="commitReservation",
    service=SERVICE,
    method="commit_reservation",
    access=ADMIN_ONLY,
    doc="Turn an order's held reservation into sold stock (operators; normally by event).",
    errors=(NotFound, Conflict),
)
RELEASE_RESERVATION = Operation(
    id="releaseReservation",
    service=SERVICE,
    method="release_reservation",
    access=STOCK_RELEASE,
    doc="Give an order's reserved stock back (orders).",
    errors=(NotFound, Conflict),
)
GET_RESERVATION = Operation(
    id="getReservation",
    service=SERVICE,
    method="get_reservation",
    access=STOCK_READ,
    doc="An order's reservation and its status.",
    reply=ReservationSchema,
    errors=(NotFound,),
)
