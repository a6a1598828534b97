"""The base every service class starts from, so the plumbing each one has is declared once.

    class OrdersService(MeshService, OutboxRelay, DeadLetterOperations):
        name = "orders"
        db = Database(Base)
        outbox = Outbox(OutboxEvent)    # optional: services that publish events
        ...
"""

from contracts.mesh_operations import PING
from plumbing.callers import Caller, rpc
from plumbing.logs import RequestIdLogging
from plumbing.metrics import ServiceMetrics
from plumbing.retention import Retention
from plumbing.rpc import ClientTokenCheck
from plumbing.tracing import Tracing
from plumbing.unit_of_work import UnitOfWorkProvider


class MeshService(Retention):
    """Base of every service. Adds the RPC ping and, from Retention, the timer
    purge_bookkeeping; and the dependencies `caller` (who is calling, proven), `uow` (the unit
    of work over the service's `db` and `outbox`), `request_logging`, `tracing`, `metrics` and
    `check_client_token`.
    The service declares its own `name` and `db`."""

    NEEDS = ("name", "db")

    caller = Caller()
    uow = UnitOfWorkProvider()
    request_logging = RequestIdLogging()
    tracing = Tracing()
    metrics = ServiceMetrics()
    check_client_token = ClientTokenCheck()

    @rpc(PING)
    def ping(self) -> str:
        """Answers "pong" when the service is up, consuming and, if it calls peers, holds a client
        token they accept (Unavailable, saying why, otherwise): readiness checks ask each one."""
        self.check_client_token()
        return "pong"
