"""The products service: the catalog, prices with their history, stock and stock reservations."""

import logging
from collections import defaultdict
from functools import partial

from nameko.dependency_providers import Config
from nameko.timer import Timer

from contracts.events import ORDER_CANCELLED, ORDER_CONFIRMED, ORDER_ITEMS_CANCELLED, ORDERS, RETURN_RECEIVED
from contracts.products import (
    PriceChangeSchema,
    ProductCreateSchema,
    ProductQuerySchema,
    ProductSchema,
    ProductUpdateSchema,
    ReservationSchema,
    ReserveSchema,
    StockAdjustmentSchema,
    StockSchema,
)
from contracts.products_operations import (
    ADJUST_STOCK,
    COMMIT_RESERVATION,
    CREATE_PRODUCT,
    DELETE_PRODUCT,
    GET_PRICE_HISTORY,
    GET_PRODUCT,
    GET_PRODUCTS,
    GET_RESERVATION,
    LIST_PRODUCTS,
    RELEASE_RESERVATION,
    RESERVE_STOCK,
    SET_STOCK,
    UPDATE_PRODUCT,
)
from plumbing.callers import rpc
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import idempotent_handler
from plumbing.mesh_service import MeshService
from plumbing.product_cache import DELETED, MISS
from plumbing.rpc import RpcProxy
from plumbing.unit_of_work import UnitOfWork
from products import catalog, reservations
from products.cache import CachedProducts
from products.models import HANDLER_TABLES, Base
from wire.errors import Conflict, Invalid, NotFound, Unavailable
from wire.pagination import PageQuerySchema, PageRequest, paged
from wire.validation import load

log = logging.getLogger(__name__)

product_schema = ProductSchema()
price_change_schema = PriceChangeSchema()
reservation_schema = ReservationSchema()
reserved_schema = ReservationSchema(exclude=("status",))
reserve_schema = ReserveSchema()  # built once: it runs for every order

SWEEP_BATCH_SIZE = 100


class ReservationSweepTimer(Timer):
    """A timer whose interval comes from config RESERVATION_SWEEP_INTERVAL_SECONDS."""

    def setup(self):
        self.interval = float(self.container.config.get("RESERVATION_SWEEP_INTERVAL_SECONDS", self.interval))
        super().setup()


def _lock_reservations(uow: UnitOfWork, events: list[dict]) -> None:
    """A batch of order events locks its reservations and their products first, in the order
    every other path takes them (products/reservations.py)."""
    reservations.lock_for_batch(uow.session, [event["order_id"] for event in events])


class ProductsService(MeshService, DeadLetterOperations):
    """Entrypoints: those below, and from its bases (plumbing/): MeshService ping and
    purge_bookkeeping, DeadLetterOperations list_dead_letters/replay_dead_letter/discard_dead_letter."""

    name = "products"

    config = Config()
    db = Database(Base)
    handler_tables = HANDLER_TABLES
    cache = CachedProducts()
    orders = RpcProxy("orders")

    @rpc(CREATE_PRODUCT)
    def create_product(self, payload: dict) -> dict:
        """Create a product (admin, or scope catalog:write); its first price opens its price history."""
        data = load(ProductCreateSchema(), payload)
        with self.uow() as uow:
            product = catalog.create_product(uow.session, data)
            uow.commit()
        return self._cache_committed([product])[0]

    @rpc(GET_PRODUCT)
    def get_product(self, product_id: str) -> dict:
        """One product, from the cache when it holds the current version."""
        cached = self.cache.get(product_id) if isinstance(product_id, str) else MISS
        if cached is DELETED:
            raise NotFound("No such product.")
        if cached is not MISS:
            return cached
        with self.uow() as uow:
            product = catalog.get_product(uow.session, product_id)
            data = product_schema.dump(product)
            self.cache.store(product.id, product.version, data)
            return data

    @rpc(GET_PRODUCTS)
    def get_products(self, product_ids: list) -> list:
        """The products among `product_ids` (at most 100) that exist, in no particular order: the
        GraphQL gateway asks once for every product of a query that its cache lacks."""
        if (
            not isinstance(product_ids, list)
            or len(product_ids) > catalog.MAX_BATCH
            or not all(isinstance(each, str) for each in product_ids)
        ):
            raise Invalid("product_ids must be a list of at most 100 ids.", {"product_ids": ["Invalid."]})
        found = []
        with self.uow() as uow:
            for product in catalog.get_products(uow.session, product_ids):
                data = product_schema.dump(product)
                self.cache.store(product.id, product.version, data)
                found.append(data)
        return found

    @rpc(LIST_PRODUCTS)
    def list_products(self, query: dict | None = None) -> dict:
        """A page of products: {q, min_price, max_price, in_stock, currency, page, page_size}."""
        query = load(ProductQuerySchema(), query or {})
        page = PageRequest(query.pop("page"), query.pop("page_size"))
        with self.uow() as uow:
            products, total = catalog.search_products(uow.session, query, page)
            return paged(product_schema.dump(products, many=True), page, total)

    @rpc(UPDATE_PRODUCT)
    def update_product(self, product_id: str, changes: dict) -> dict:
        """Change sku, name, description, price or currency (admin, or scope catalog:write). A
        price or currency change is added to the price history; the cache holds the new version
        on return."""
        changes = load(ProductUpdateSchema(), changes)
        if not changes:
            raise Invalid("Nothing to change.")
        with self.uow() as uow:
            product = catalog.get_product(uow.session, product_id, lock=True)
            product = catalog.update_product(uow.session, product, changes)
            uow.commit()
        return self._cache_committed([product])[0]

    @rpc(SET_STOCK)
    def set_stock(self, product_id: str, payload: dict) -> dict:
        """Set the units available for sale to {stock} (admin, or scope stock:write)."""
        stock = load(StockSchema(), payload)["stock"]
        with self.uow() as uow:
            product = catalog.get_product(uow.session, product_id, lock=True)
            product = catalog.set_stock(uow.session, product, stock)
            uow.commit()
        return self._cache_committed([product])[0]

    @rpc(ADJUST_STOCK)
    def adjust_stock(self, product_id: str, payload: dict) -> dict:
        """Add {delta} units (negative to remove; admin, or scope stock:write); Invalid if stock
        would go below zero."""
        delta = load(StockAdjustmentSchema(), payload)["delta"]
        with self.uow() as uow:
            product = catalog.get_product(uow.session, product_id, lock=True)
            product = catalog.adjust_stock(uow.session, product, delta)
            uow.commit()
        return self._cache_committed([product])[0]

    @rpc(DELETE_PRODUCT)
    def delete_product(self, product_id: str) -> None:
        """Delete a product and its price history (admin, or scope catalog:write). Conflict while
        units of it are reserved or it is in an order not yet delivered or cancelled (orders is
        asked)."""
        # The row lock keeps new reservations out until the product is gone.
        with self.uow() as uow:
            product = catalog.get_product(uow.session, product_id, lock=True)
            tombstone_version = catalog.delete_product(uow.session, product, self._in_open_orders)
            uow.after_commit(lambda: self.cache.store(product_id, tombstone_version, None))
            uow.commit()

    @rpc(GET_PRICE_HISTORY)
    def get_price_history(self, product_id: str, page: int = 1, page_size: int = 20) -> dict:
        """The product's prices, newest first, each with the time it took effect."""
        page = PageRequest(**load(PageQuerySchema(), {"page": page, "page_size": page_size}))
        with self.uow() as uow:
            product = catalog.get_product(uow.session, product_id)
            changes, total = catalog.price_history(uow.session, product.id, page)
            return paged(price_change_schema.dump(changes, many=True), page, total)

    # --- stock reservations (the order saga) -----------------------------------------------------

    @rpc(RESERVE_STOCK)
    def reserve_stock(self, order_id: str, items: list, ttl_seconds: int) -> dict:
        """Hold stock for an order (scope stock:reserve): every item or none, in one transaction.

        `items` is [{product_id, quantity}]: 1 to 50 items, quantity an integer 1..1000. Items
        naming the same product twice are merged (quantities added, first position kept; the sum
        must still be at most 1000). `ttl_seconds` (1..86400): the reservation expires at
        now + ttl; an expired, still held one is released by the sweep after a grace period.
        Reserved units leave the product's `stock` (what can still be sold).

        Returns {order_id, expires_at (ISO 8601, UTC), currency, items: [{product_id, sku, name,
        unit_price (decimal string, 2 places), quantity}]}: the price and name snapshot, items in
        request order.

        Idempotent per order_id: calling again with the same items returns the same reservation
        (same expires_at) and reserves nothing more, even for two calls racing. Conflict if the
        order already has a reservation with other items, or one that has been released.

        Errors: Invalid for a bad payload, unknown products (errors {"items": {"unknown": [ids]}})
        or items in more than one currency; Conflict when stock is short, detail and errors
        {"items": {"short": [{product_id, sku, requested, available}]}} naming every short item."""
        request = load(reserve_schema, {"order_id": order_id, "items": items, "ttl_seconds": ttl_seconds})
        with self.uow() as uow:
            outcome = reservations.reserve(uow.session, **request)
            uow.commit()
        self._cache_committed(outcome.products)
        return reserved_schema.dump(outcome.reservation)

    @rpc(COMMIT_RESERVATION)
    def commit_reservation(self, order_id: str) -> dict:
        """The order was paid: held → committed, its units move from reserved to sold. What
        handle_order_confirmed does, for an operator (the saga itself goes by the event).

        Returns the reservation as get_reservation does. Idempotent: committing a committed
        reservation changes nothing and returns it again. A held reservation past expires_at is
        still committed if the sweep has not released it yet. Conflict if the reservation was
        released (cancelled, or expired and swept); NotFound if the order has none."""
        with self.uow() as uow:
            outcome = reservations.commit(uow.session, order_id)
            uow.commit()
        self._cache_committed(outcome.products)
        return reservation_schema.dump(outcome.reservation)

    @rpc(RELEASE_RESERVATION)
    def release_reservation(self, order_id: str) -> dict:
        """Compensation (the order was cancelled or failed; scope stock:release, or an admin):
        the units go back into stock.

        held → released: from reserved; committed → released: from sold (a paid order cancelled
        and refunded). Returns the reservation as get_reservation does. Idempotent: releasing a
        released reservation returns it and puts nothing back a second time.

        An order_id with no reservation is NOT an error: this returns {order_id, status:
        "unknown"} and changes nothing, because a compensating action may run for an order whose
        reserve_stock never happened (or failed). A later reserve_stock for that order_id still
        reserves."""
        with self.uow() as uow:
            outcome = reservations.release(uow.session, order_id)
            if outcome is None:
                return {"order_id": order_id, "status": "unknown"}
            uow.commit()
        self._cache_committed(outcome.products)
        return reservation_schema.dump(outcome.reservation)

    @rpc(GET_RESERVATION)
    def get_reservation(self, order_id: str) -> dict:
        """An order's reservation (scope stock:reserve, or an admin): {order_id, status (held |
        committed | released), expires_at (ISO 8601, UTC), currency, items: [{product_id, sku,
        name, unit_price, quantity}]}. NotFound if the order has none."""
        with self.uow() as uow:
            reservation = reservations.get_reservation(uow.session, order_id)
            if reservation is None:
                raise NotFound("No reservation for this order.")
            return reservation_schema.dump(reservation)

    @idempotent_handler(ORDERS, ORDER_CONFIRMED, lock_batch=_lock_reservations)
    def handle_order_confirmed(self, uow, event: dict) -> None:
        """order_confirmed: the order was paid, so its reservation is committed (held →
        committed, its units move from reserved to sold). A reservation released meanwhile (the
        order was cancelled right after it was confirmed) stays released. No reservation at all
        is an error: retried, then a dead letter."""
        try:
            outcome = reservations.commit(uow.session, event["order_id"])
        except Conflict as exc:
            log.info("order_confirmed for %s: %s; nothing to commit", event["order_id"], exc)
            return
        uow.after_commit(partial(self._cache_committed, outcome.products))

    @idempotent_handler(ORDERS, ORDER_CANCELLED, lock_batch=_lock_reservations)
    def handle_order_cancelled(self, uow, event: dict) -> None:
        """order_cancelled: the order's reservation is released and its units go back, if
        orders' own release_reservation after its commit did not reach products (a lost reply,
        products down, orders killed in between). Releasing a released reservation changes
        nothing."""
        outcome = reservations.release(uow.session, event["order_id"])
        if outcome is not None:
            uow.after_commit(partial(self._cache_committed, outcome.products))

    @idempotent_handler(ORDERS, ORDER_ITEMS_CANCELLED, lock_batch=_lock_reservations)
    def handle_order_items_cancelled(self, uow, event: dict) -> None:
        """order_items_cancelled: the cancelled units of the order's lines ({product_id, quantity})
        go back into stock, from reserved if its reservation is still held, from sold if it was
        committed; its items count what they gave back, so the order's full release later
        (order_cancelled) gives back only the rest. A released reservation gave everything back
        already; an order without a reservation has nothing to give back."""
        cancelled = defaultdict(int)
        for item in event["items"]:
            cancelled[item["product_id"]] += item["quantity"]
        outcome = reservations.release_items(uow.session, event["order_id"], dict(cancelled))
        if outcome is not None:
            uow.after_commit(partial(self._cache_committed, outcome.products))

    @idempotent_handler(ORDERS, RETURN_RECEIVED, lock_batch=_lock_reservations)
    def handle_return_received(self, uow, event: dict) -> None:
        """return_received: the units received with restock=true go back on sale (into stock,
        counted in the product's `restocked`); those without (damaged) stay out. Products deleted
        since are skipped."""
        restocked = defaultdict(int)
        for item in event["items"]:
            if item["restock"] and item["quantity"]:
                restocked[item["product_id"]] += item["quantity"]
        if restocked:
            products = reservations.restock(uow.session, event["order_id"], dict(restocked))
            uow.after_commit(partial(self._cache_committed, products))

    @ReservationSweepTimer.decorator(interval=5)
    def release_expired_reservations(self) -> int:
        """The safety net for reservations whose order was never created (orders crashed after
        reserving): held reservations that expired more than RESERVATION_RELEASE_GRACE_SECONDS
        ago are released and their units go back into stock, unless orders still uses them (an
        order pending or paid: a paid one's reservation is committed when its order_confirmed
        arrives, however late). orders itself cancels its expired orders and calls
        release_reservation. While orders can't answer, nothing is released. Safe with several
        instances: rows another instance is releasing are skipped (SKIP LOCKED). Returns how many
        were released."""
        grace = float(self.config.get("RESERVATION_RELEASE_GRACE_SECONDS", 30))
        released, after = 0, None
        while True:
            with self.uow() as uow:
                try:
                    examined, batch, products = reservations.release_expired(
                        uow.session, grace, SWEEP_BATCH_SIZE, self._reservations_in_use, after
                    )
                except Unavailable as exc:
                    log.warning("expired reservations kept: orders can't say which are in use (%s)", exc)
                    return released
                uow.commit()
            self._cache_committed(products)
            order_ids = [reservation.order_id for reservation in batch]
            released += len(order_ids)
            if order_ids:
                log.info("released %d expired reservations: %s", len(order_ids), ", ".join(order_ids))
            if len(examined) < SWEEP_BATCH_SIZE:
                return released
            after = (examined[-1].expires_at, examined[-1].order_id)

    def _in_open_orders(self, product_id: str) -> bool:
        return self.orders.has_open_orders(product_id)

    def _reservations_in_use(self, order_ids: list[str]) -> set[str]:
        return set(self.orders.reservations_in_use(order_ids))

    def _cache_committed(self, products: list) -> list[dict]:
        """Store each product's committed version in the cache (a cache that can't be reached is
        logged: the next write stores the product again); returns them dumped."""
        dumped = []
        for product in products:
            data = product_schema.dump(product)
            self.cache.store(product.id, product.version, data)
            dumped.append(data)
        return dumped
