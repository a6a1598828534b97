"""The catalog: products, their prices over time, and stock. Pure database work."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plumbing.pagination import fetch_page
from products import stock
from products.models import SEARCH_CONFIG, PriceChange, Product
from wire.errors import Conflict, NotFound
from wire.pagination import PageRequest


def get_product(session: Session, product_id, lock: bool = False) -> Product:
    # A NUL cannot be in a PostgreSQL string (psycopg2 raises ValueError): no such product either.
    if not isinstance(product_id, str) or len(product_id) > 36 or "\x00" in product_id:
        raise NotFound("No such product.")
    product = session.get(Product, product_id, with_for_update=lock)
    if product is None:
        raise NotFound("No such product.")
    return product


MAX_BATCH = 100


def get_products(session: Session, product_ids: list[str]) -> list[Product]:
    ids = [each for each in product_ids if len(each) <= 36 and "\x00" not in each]
    return list(session.scalars(select(Product).where(Product.id.in_(ids)))) if ids else []


def create_product(session: Session, data: dict) -> Product:
    # The initial stock opens the product's ledger (see Product.received).
    product = Product(**data, received=data["stock"])
    session.add(product)
    _flush_unique_sku(session)
    session.add(PriceChange(product_id=product.id, price=product.price, currency=product.currency))
    session.flush()
    return product


def update_product(session: Session, product: Product, changes: dict) -> Product:
    price_changed = any(
        field in changes and changes[field] != getattr(product, field) for field in ("price", "currency")
    )
    for field, value in changes.items():
        setattr(product, field, value)
    _flush_unique_sku(session)
    if price_changed:
        session.add(PriceChange(product_id=product.id, price=product.price, currency=product.currency))
        session.flush()
    return product


def set_stock(session: Session, product: Product, stock: int) -> Product:
    # The ledger moves by exactly what the stock moves: units put in for sale or taken out.
    product.received += stock - product.stock
    product.stock = stock
    session.flush()
    return product


def adjust_stock(session: Session, product: Product, delta: int) -> Product:
    product.stock = stock.adjusted(product.stock, delta)
    product.received += delta
    session.flush()
    return product


def delete_product(session: Session, product: Product, in_open_orders) -> int:
    """Delete a locked product and its price history: the version its tombstone in the cache
    carries. Conflict while units of it are reserved or `in_open_orders(product_id)` (orders
    answers it)."""
    if product.reserved > 0 or in_open_orders(product.id):
        raise Conflict("The product is in open orders and cannot be deleted.")
    session.delete(product)
    session.flush()
    return product.version + 1


def search_products(session: Session, query: dict, page: PageRequest) -> tuple[list[Product], int]:
    """Filter by price range, stock and currency; `q` is a full-text search over name and
    description (best match first); otherwise newest first."""
    conditions = []
    if "min_price" in query:
        conditions.append(Product.price >= query["min_price"])
    if "max_price" in query:
        conditions.append(Product.price <= query["max_price"])
    if "currency" in query:
        conditions.append(Product.currency == query["currency"])
    if query.get("in_stock") is True:
        conditions.append(Product.stock > 0)
    elif query.get("in_stock") is False:
        conditions.append(Product.stock == 0)
    order = [Product.created_at.desc(), Product.id]
    if "q" in query:
        tsquery = func.websearch_to_tsquery(SEARCH_CONFIG, query["q"])
        conditions.append(Product.search_vector.op("@@")(tsquery))
        order.insert(0, func.ts_rank(Product.search_vector, tsquery).desc())
    return fetch_page(session, select(Product).where(*conditions).order_by(*order), page)


def price_history(session: Session, product_id: str, page: PageRequest) -> tuple[list[PriceChange], int]:
    """Newest first."""
    query = (
        select(PriceChange)
        .where(PriceChange.product_id == product_id)
        .order_by(PriceChange.effective_at.desc(), PriceChange.id.desc())
    )
    return fetch_page(session, query, page)


def _flush_unique_sku(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # the unit of work rolls back
        if "sku" in str(exc.orig):
            raise Conflict("A product with this SKU already exists.", {"sku": ["Already in use."]}) from exc
        raise
