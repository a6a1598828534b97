"""The GraphQL schema: orders from the read side (order_queries), products from the caches the
REST routes read, a customer's notifications, and the read side's lag.

Field names are the REST resources' in camelCase. An order's lines, payment, history and
customer come with the order (one row of the read model); products are batched by a DataLoader,
so a page of 50 orders with everything costs one RPC to order_queries and at most one to
products, whatever the number of orders."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.extensions import MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from contracts.order_queries import ORDER_CURSOR_KIND
from gateway.api.products import search_products
from gateway.graphql.context import RequestContext
from gateway.graphql.limits import DEFAULT_PAGE, MAX_TOKENS, QueryLimits
from gateway.graphql.paging import PageInfo, PageRequest
from gateway.graphql.scalars import (
    SCALARS,
    Money,
    OrderStatus,
    PaymentOperationStatus,
    PaymentOperationType,
    ReturnStatus,
    ShipmentStatus,
    order_status,
)
from wire.access import USER
from wire.errors import Forbidden, NotFound

# An order's cursor is made and read by order_queries (keyset); the gateway passes it on.


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@strawberry.type
class PriceHistoryEntry:
    price: Money
    currency: str
    effective_at: datetime


@strawberry.type
class Product:
    id: strawberry.ID
    sku: str
    name: str
    description: str | None
    price: Money
    currency: str
    stock: int
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_wire(cls, data: dict) -> "Product":
        return cls(
            id=data["id"], sku=data["sku"], name=data["name"], description=data.get("description"),
            price=data["price"], currency=data["currency"], stock=data["stock"],
            created_at=_time(data.get("created_at")), updated_at=_time(data.get("updated_at")),
        )

    @strawberry.field
    def price_history(self, info: Info, first: int = DEFAULT_PAGE) -> list[PriceHistoryEntry]:
        """Newest first."""
        page = info.context.services.products.get_price_history(str(self.id), 1, first)
        return [
            PriceHistoryEntry(price=c["price"], currency=c["currency"], effective_at=_time(c["effective_at"]))
            for c in page["items"]
        ]


_QUANTITIES = ("shipped_quantity", "cancelled_quantity", "delivered_quantity", "returned_quantity")


@strawberry.type
class OrderItem:
    product_id: strawberry.ID | None
    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money
    shipped_quantity: int = 0
    cancelled_quantity: int = 0
    delivered_quantity: int = 0
    returned_quantity: int = strawberry.field(default=0, description="Units received back in returns.")

    @classmethod
    def from_wire(cls, line: dict) -> "OrderItem":
        return cls(product_id=line.get("product_id"), sku=line["sku"], name=line["name"], quantity=line["quantity"],
                   unit_price=line["unit_price"], line_total=line["line_total"],
                   **{name: line.get(name, 0) for name in _QUANTITIES})

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        """The product as it is now (the line keeps what it cost then); null once deleted."""
        if self.product_id is None:
            return None
        data = await info.context.products_loader.load(str(self.product_id))
        return Product.from_wire(data) if data else None


@strawberry.type
class Address:
    name: str
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str


@strawberry.type
class Shipment:
    """A parcel of the order: its lines, the amount captured for it, and where it is."""

    id: strawberry.ID
    items: list[OrderItem]
    amount: Money | None
    carrier: str | None
    tracking_number: str | None
    status: ShipmentStatus
    shipped_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def from_wire(cls, data: dict) -> "Shipment":
        return cls(id=data["id"], items=[OrderItem.from_wire(line) for line in data["items"]], amount=data["amount"],
                   carrier=data["carrier"], tracking_number=data["tracking_number"],
                   status=ShipmentStatus(data["status"]), shipped_at=_time(data["shipped_at"]),
                   delivered_at=_time(data["delivered_at"]))


@strawberry.type
class ReturnItem:
    product_id: strawberry.ID
    quantity: int = strawberry.field(description="Units asked to return.")
    reason: str | None
    received_quantity: int
    restock: bool | None


@strawberry.type
class Return:
    """A return (RMA) of some of the order's units, and what it refunded once received."""

    id: strawberry.ID
    status: ReturnStatus
    items: list[ReturnItem]
    refund_amount: Money | None
    created_at: datetime | None

    @classmethod
    def from_wire(cls, data: dict) -> "Return":
        return cls(id=data["id"], status=ReturnStatus(data["status"]),
                   items=[ReturnItem(**{name: line.get(name) for name in ReturnItem.__annotations__})
                          for line in data["items"]],
                   refund_amount=data["refund_amount"], created_at=_time(data["created_at"]))


@strawberry.type
class PaymentOperation:
    type: PaymentOperationType
    amount: Money | None
    status: PaymentOperationStatus
    reference: str = strawberry.field(description="What it was for: the order, a shipment, a return, a refund.")
    failure_reason: str | None
    at: datetime | None


@strawberry.type
class Payment:
    """The order's payment: its total (`amount`), and the ledger of what was authorized, captured
    (per shipment), refunded and voided."""

    id: strawberry.ID | None
    status: str
    amount: Money | None
    currency: str | None
    authorized: Money | None
    captured: Money | None
    refunded: Money | None
    voided: Money | None
    operations: list[PaymentOperation] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_wire(cls, data: dict) -> "Payment":
        return cls(
            id=data["id"], status=data["status"], amount=data["amount"], currency=data["currency"],
            authorized=data.get("authorized"), captured=data.get("captured"), refunded=data.get("refunded"),
            voided=data.get("voided"),
            operations=[
                PaymentOperation(type=PaymentOperationType(op["type"]), amount=op["amount"],
                                 status=PaymentOperationStatus(op["status"]), reference=op["reference"],
                                 failure_reason=op.get("failure_reason"), at=_time(op.get("at")))
                for op in data.get("operations", [])
            ],
        )


@strawberry.type
class HistoryEntry:
    from_status: OrderStatus | None
    to_status: OrderStatus
    at: datetime
    actor: str
    reason: str


@strawberry.type
class Customer:
    id: strawberry.ID
    email: str | None
    name: str | None


@strawberry.type
class Order:
    id: strawberry.ID
    status: OrderStatus
    items: list[OrderItem]
    total: Money
    currency: str
    shipping_address: Address | None
    created_at: datetime
    updated_at: datetime | None
    history: list[HistoryEntry]
    payment: Payment | None
    customer: Customer
    shipments: list[Shipment] = strawberry.field(description="Oldest first.")
    returns: list[Return] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_wire(cls, data: dict) -> "Order":
        address = data.get("shipping_address")
        return cls(
            id=data["id"],
            status=order_status(data["status"]),
            items=[OrderItem.from_wire(line) for line in data["items"]],
            total=data["total"],
            currency=data["currency"],
            shipping_address=Address(**{k: address.get(k) for k in Address.__annotations__}) if address else None,
            created_at=_time(data["created_at"]),
            updated_at=_time(data.get("updated_at")),
            history=[
                HistoryEntry(from_status=h["from_status"] and order_status(h["from_status"]),
                             to_status=order_status(h["to_status"]), at=_time(h["at"]),
                             actor=h["actor"], reason=h["reason"])
                for h in data["history"]
            ],
            payment=Payment.from_wire(data["payment"]) if data.get("payment") else None,
            customer=Customer(**data["customer"]),
            shipments=[Shipment.from_wire(shipment) for shipment in data.get("shipments", [])],
            returns=[Return.from_wire(ret) for ret in data.get("returns", [])],
        )


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Counted only when asked for.")


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Notification:
    id: strawberry.ID
    event: str
    channel: str
    subject: str
    body: str
    created_at: datetime


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class OrderFilter:
    status: OrderStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    min_total: Money | None = None
    max_total: Money | None = None
    customer_email: str | None = strawberry.field(default=None, description="Admins only.")


@strawberry.input
class ProductFilter:
    min_price: Money | None = None
    max_price: Money | None = None
    currency: str | None = None
    in_stock: bool | None = None


@strawberry.type
class Meta:
    lag_ms: int = strawberry.field(description="How far the read side is behind the command side.")
    queued: int = strawberry.field(description="Events waiting in the read side's queues.")
    last_event_at: datetime | None


def _asks_for(info: Info, name: str) -> bool:
    """Whether the field being resolved selects `name` (directly, or in a fragment)."""

    def walk(selections) -> bool:
        return any(
            getattr(s, "name", None) == name or walk(getattr(s, "selections", None) or []) for s in selections
        )

    return walk(info.selected_fields[0].selections)


def _filter_wire(filter: OrderFilter | None) -> dict:
    if filter is None:
        return {}
    wire = {}
    for key, value in vars(filter).items():
        if value is None:
            continue
        if isinstance(value, datetime):
            wire[key] = value.isoformat()
        elif isinstance(value, Enum):
            wire[key] = value.value
        else:
            wire[key] = str(value)
    return wire


def _orders(info: Info, filter: OrderFilter | None, page: PageRequest, mine=False) -> OrderConnection:
    context: RequestContext = info.context
    context.signed_in()
    answer = context.services.order_queries.list_orders(
        {"filter": _filter_wire(filter), "first": page.first, "last": page.last, "after": page.after,
         "before": page.before, "with_total": _asks_for(info, "totalCount"), "mine": mine},
    )
    return OrderConnection(
        edges=[OrderEdge(cursor=o["cursor"], node=Order.from_wire(o)) for o in answer["items"]],
        page_info=PageInfo(has_next_page=answer["has_next_page"], has_previous_page=answer["has_previous_page"],
                           start_cursor=answer["start_cursor"], end_cursor=answer["end_cursor"]),
        total_count=answer["total_count"],  # counted whenever it is selected
    )


async def _found(loader, id: strawberry.ID, what: str) -> dict:
    """What the loader has for `id`; NOT_FOUND when it has nothing (or nothing the caller may see):
    the field is null, with the error beside the data."""
    data = await loader.load(str(id))
    if data is None:
        raise NotFound(f"No such {what}.")
    return data


@strawberry.type
class Me:
    user_id: strawberry.Private[str]

    @strawberry.field
    def orders(
        self, info: Info, filter: OrderFilter | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> OrderConnection:
        """Your own orders, newest first (for an admin too: `orders` at the top is everyone's)."""
        return _orders(info, filter, PageRequest(ORDER_CURSOR_KIND, first, last, after, before), mine=True)

    @strawberry.field
    def notifications(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> NotificationConnection:
        """Your notifications, newest first."""
        page = PageRequest("notification", first, last, after, before).offset_slice(
            lambda number, size: info.context.services.notifications.list_notifications(self.user_id, number, size)
        )
        nodes = [Notification(id=n["id"], event=n["event"], channel=n["channel"], subject=n["subject"], body=n["body"],
                              created_at=_time(n["created_at"])) for n in page.items]
        return NotificationConnection(
            edges=[NotificationEdge(cursor=c, node=n) for c, n in zip(page.cursors(), nodes, strict=True)],
            page_info=page.page_info(), total_count=page.total,
        )


@strawberry.type
class Query:
    @strawberry.field
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        """One order: yours, or any for an admin or a client with orders:read; else null and NOT_FOUND."""
        return Order.from_wire(await _found(info.context.orders_loader, id, "order"))

    @strawberry.field
    def orders(
        self, info: Info, filter: OrderFilter | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> OrderConnection:
        """Newest first: a customer's own orders, everyone's for an admin or a client with orders:read."""
        return _orders(info, filter, PageRequest(ORDER_CURSOR_KIND, first, last, after, before))

    @strawberry.field
    def me(self, info: Info) -> Me:
        actor = info.context.signed_in()
        if actor.kind != USER:
            raise Forbidden("`me` is a user's: a client has no orders or notifications of its own.")
        return Me(user_id=actor.id)

    @strawberry.field
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        """One product; null and NOT_FOUND when there is none."""
        return Product.from_wire(await _found(info.context.products_loader, id, "product"))

    @strawberry.field
    def products(
        self, info: Info, search: str | None = None, filter: ProductFilter | None = None,
        first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> ProductConnection:
        """Newest first, or best match first with `search`; from the search cache when it can."""
        query = {} if search is None else {"q": search}
        for key, value in vars(filter or ProductFilter()).items():
            if value is not None:
                query[key] = str(value).lower() if isinstance(value, bool) else str(value)
        page = PageRequest("product", first, last, after, before).offset_slice(
            lambda number, size: search_products({**query, "page": number, "page_size": size})
        )
        nodes = [Product.from_wire(item) for item in page.items]
        return ProductConnection(
            edges=[ProductEdge(cursor=c, node=n) for c, n in zip(page.cursors(), nodes, strict=True)],
            page_info=page.page_info(), total_count=page.total,
        )

    @strawberry.field
    def meta(self, info: Info) -> Meta:
        lag = info.context.services.order_queries.lag()
        return Meta(lag_ms=lag["lag_ms"], queued=lag["queued"], last_event_at=_time(lag["last_event_at"]))


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Not logged here: most are the caller's (gateway/graphql/view.py logs the others)."""


schema = Schema(
    query=Query,
    config=StrawberryConfig(scalar_map=SCALARS),
    extensions=[lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS), QueryLimits],
)
