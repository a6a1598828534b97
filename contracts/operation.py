"""One declaration per operation (issue 23): the service's `@rpc`, the gateway's route, the OpenAPI
operation and the typed RPC client (contracts/clients.py) all read it, and
tests/unit/test_operations.py fails when one of them disagrees with it.

    CREATE_ORDER = Operation(
        id="createOrder", service="orders", method="create_order", access=SIGNED_IN,
        doc="Place an order. ...", headers=IdempotencyKeySchema, body=CreateOrderSchema,
        reply=OrderSchema, errors=(Conflict,), http=Http("POST", "/orders", status=201, tag="orders"),
    )

    @rpc(CREATE_ORDER, sensitive_arguments=(...))        # orders/service.py
    @blp.operation(CREATE_ORDER)                         # gateway/api/orders.py

The operations every service has (ping, dead letters) are declared once for EVERY_SERVICE;
`for_service` names the service they run on."""

import dataclasses
from dataclasses import dataclass
from functools import cache

from marshmallow import Schema, fields

from wire.access import Access
from wire.errors import ServiceError

API_PREFIX = "/api/v1"
EVERY_SERVICE = "*"  # a mixin's operation: every service that has the mixin serves it


@dataclass(frozen=True)
class Http:
    """Where an operation is served over HTTP: `path` under API_PREFIX in Flask rule syntax
    (`/orders/<order_id>`), the success `status`, and the OpenAPI `tag` grouping it."""

    method: str
    path: str
    tag: str
    status: int = 200


@dataclass(frozen=True)
class Binary:
    """A reply that is not JSON, e.g. a PDF download."""

    media_type: str
    description: str = ""


@dataclass(frozen=True)
class Operation:
    """One operation: `id` is its OpenAPI operationId (camelCase, stable), `service.method` the
    RPC serving it, `access` who may call it, `doc` its summary (first line) and description.
    `headers`, `query` and `body` are the schemas of an HTTP request; `reply` the answer's schema
    (or a Binary), `errors` the typed errors it raises (wire.errors; their HTTP status follows)."""

    id: str
    service: str
    method: str
    access: Access
    doc: str
    headers: type[Schema] | None = None
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    body_required: bool = True
    reply: type[Schema] | Schema | Binary | None = None
    errors: tuple[type[ServiceError], ...] = ()
    http: Http | None = None

    def __post_init__(self):
        if not isinstance(self.access, Access):
            raise TypeError(f"{self.id}: access must be an Access policy from wire.access")
        if not all(isinstance(error, type) and issubclass(error, ServiceError) for error in self.errors):
            raise TypeError(f"{self.id}: errors must be wire.errors classes")

    @property
    def summary(self) -> str:
        """The doc's first sentence, on one line."""
        first_paragraph = " ".join(self.doc.strip().split("\n\n")[0].split())
        return first_paragraph.split(". ")[0].rstrip(".")

    @property
    def error_statuses(self) -> tuple[int, ...]:
        return tuple(sorted({error.status for error in self.errors}))

    def for_service(self, service: str) -> "Operation":
        """A mixin's operation (EVERY_SERVICE) as `service` serves it."""
        return dataclasses.replace(self, service=service) if self.service == EVERY_SERVICE else self


@cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The documented shape of a list: {items, page, page_size, total} (one class per item schema,
    so the OpenAPI document names each once)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
        name=item_schema.__name__.removesuffix("Schema") + "Page",
    )
