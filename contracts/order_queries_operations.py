"""The read side's operations (contracts.operation): GraphQL's and the export's source."""

from contracts.operation import Operation
from contracts.order_queries import ExportPageSchema, OrderPageSchema
from wire.access import ORDERS_EXPORT, ORDERS_READ, PUBLIC
from wire.errors import Invalid

SERVICE = "order_queries"

GET_ORDER_VIEWS = Operation(
    id="getOrderViews",
    service=SERVICE,
    method="get_orders",
    access=ORDERS_READ,
    doc="Several orders by id, as the read side holds them (GraphQL's batches).",
    errors=(Invalid,),
)
LIST_ORDER_VIEWS = Operation(
    id="listOrderViews",
    service=SERVICE,
    method="list_orders",
    access=ORDERS_READ,
    doc="A page of orders by keyset, filtered (GraphQL's orders).",
    reply=OrderPageSchema,
    errors=(Invalid,),
)
EXPORT_ORDERS = Operation(
    id="exportOrders",
    service=SERVICE,
    method="export_orders",
    access=ORDERS_EXPORT,
    doc="A page of every order with its customer and payment (the gateway's streamed export).",
    reply=ExportPageSchema,
    errors=(Invalid,),
)
READ_MODEL_LAG = Operation(
    id="readModelLag",
    service=SERVICE,
    method="lag",
    access=PUBLIC,
    doc="How far the read side is behind the events (readiness, GraphQL).",
)
