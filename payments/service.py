"""The payments service: charges orders once, refunds cancelled paid orders; events in and out."""

from payments import charges
from payments.models import HANDLER_TABLES, Base, OutboxEvent
from payments.provider import Provider
from payments.schemas import PaymentSchema
from plumbing.access import ORDERS_READ, ORDERS_READ_SCOPE
from plumbing.callers import Caller, rpc
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.errors import NotFound
from plumbing.events import ORDER_CANCELLED, ORDER_CREATED, ORDERS
from plumbing.handlers import idempotent_handler
from plumbing.health import Pingable
from plumbing.logs import RequestIdLogging
from plumbing.metrics import ServiceMetrics
from plumbing.outbox import Outbox, OutboxRelay
from plumbing.retention import Retention
from plumbing.tracing import Tracing

payment_schema = PaymentSchema()


class PaymentsService(Pingable, OutboxRelay, DeadLetterOperations, Retention):
    name = "payments"

    caller = Caller()
    db = Database(Base)
    outbox = Outbox(OutboxEvent)
    handler_tables = HANDLER_TABLES
    provider = Provider()
    request_logging = RequestIdLogging()
    tracing = Tracing()
    metrics = ServiceMetrics()

    @idempotent_handler(ORDERS, ORDER_CREATED)
    def handle_order_created(self, session, event: dict) -> None:
        """order_created: charge the order's total once through the provider, unless the order
        was cancelled first; record the Payment and dispatch payment_succeeded or payment_failed
        (reason `card_declined` or `insufficient_funds`) in the same transaction."""
        charges.charge_order(session, self.provider, self.outbox, event)

    @idempotent_handler(ORDERS, ORDER_CANCELLED)
    def handle_order_cancelled(self, session, event: dict) -> None:
        """order_cancelled: if the order was paid, refund it once (status refunded) and dispatch
        payment_refunded; otherwise remember the cancellation so a later order_created does not
        charge."""
        charges.cancel_order(session, self.provider, self.outbox, event)

    @rpc(access=ORDERS_READ)
    def get_payment(self, order_id: str) -> dict:
        """The payment of an order: {id, order_id, status, amount, currency, created_at}, status
        succeeded | failed | refunded. For its owner, an admin or a client with orders:read;
        NotFound otherwise, and while the order has not been charged yet."""
        payment = charges.get_payment(self.db.session, order_id) if isinstance(order_id, str) else None
        if payment is None or not self.caller.actor.acts_for(payment.user_id, ORDERS_READ_SCOPE):
            raise NotFound("No payment for this order.")
        return payment_schema.dump(payment)
