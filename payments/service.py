"""The payments service: charges orders once, refunds cancelled paid orders; events in and out."""

from payments import charges
from payments.models import HANDLER_TABLES, Base, OutboxEvent
from payments.provider import Provider
from payments.schemas import PaymentSchema
from plumbing.actors import is_admin, load_actor
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.entrypoints import rpc
from plumbing.errors import EXPECTED_ERRORS, NotFound
from plumbing.events import ORDER_CANCELLED, ORDER_CREATED, ORDERS
from plumbing.handlers import idempotent_handler
from plumbing.health import Pingable
from plumbing.logs import RequestIdLogging
from plumbing.metrics import ServiceMetrics
from plumbing.outbox import Outbox, OutboxRelay
from plumbing.retention import Retention

payment_schema = PaymentSchema()


class PaymentsService(Pingable, OutboxRelay, DeadLetterOperations, Retention):
    name = "payments"

    db = Database(Base)
    outbox = Outbox(OutboxEvent)
    handler_tables = HANDLER_TABLES
    provider = Provider()
    request_logging = RequestIdLogging()
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

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_payment(self, order_id: str, actor: dict) -> dict:
        """The payment of an order: {id, order_id, status, amount, currency, created_at}, status
        succeeded | failed | refunded. For its owner or an admin; NotFound otherwise, and while the
        order has not been charged yet."""
        actor = load_actor(actor)
        payment = charges.get_payment(self.db.session, order_id) if isinstance(order_id, str) else None
        if payment is None or (payment.user_id != actor["id"] and not is_admin(actor)):
            raise NotFound("No payment for this order.")
        return payment_schema.dump(payment)
