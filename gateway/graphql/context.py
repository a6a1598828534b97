"""What one GraphQL request's resolvers share: the caller, its RPCs, the product caches and the
loaders that batch what the resolvers ask for (DataLoader: every `load` made while one level of
the query resolves becomes one RPC)."""

from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from contracts.clients import Services
from gateway.graphql.limits import Limits
from plumbing.product_cache import DELETED, MISS, ProductCache, SearchCache
from wire.access import Actor
from wire.errors import Unauthenticated

ORDER_ID_CHARS = 36
MAX_BATCH = 100  # what a batch RPC takes at once (order_queries.get_orders, products.get_products)


@dataclass
class RequestContext:
    services: Services  # the typed clients, calling with the request's token and id
    actor: Actor | None
    products: ProductCache
    searches: SearchCache
    limits: Limits = Limits()
    orders_loader: DataLoader = field(init=False)
    products_loader: DataLoader = field(init=False)

    def __post_init__(self):
        self.orders_loader = DataLoader(self._load_orders, max_batch_size=MAX_BATCH)
        self.products_loader = DataLoader(self._load_products, max_batch_size=MAX_BATCH)

    def signed_in(self) -> Actor:
        if self.actor is None:
            raise Unauthenticated("This field needs an access token.")
        return self.actor

    async def _load_orders(self, order_ids: list[str]) -> list[dict | None]:
        self.signed_in()
        # An order id is a UUID: order_queries refuses a batch with a longer one, which would make
        # every order of the batch an error instead of that one null.
        asked = [order_id for order_id in order_ids if len(order_id) <= ORDER_ID_CHARS]
        found = {order["id"]: order for order in self.services.order_queries.get_orders(asked)} if asked else {}
        return [found.get(order_id) for order_id in order_ids]

    async def _load_products(self, product_ids: list[str]) -> list[dict | None]:
        """From the entries products keeps in Redis (one MGET); what they lack, in one RPC."""
        cached = self.products.get_many(list(product_ids))
        missing = [pid for pid in product_ids if cached.get(pid, MISS) is MISS]
        if missing:
            for product in self.services.products.get_products(missing):
                cached[product["id"]] = product
        return [None if cached.get(pid, MISS) in (MISS, DELETED) else cached[pid] for pid in product_ids]
