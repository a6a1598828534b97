"""Helpers for event tests: deliver events as a producer would, watch an exchange, poll."""

import uuid

from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, text

from contracts.events import SOURCES, make_event
from plumbing.handlers import handler_spec
from plumbing.migrations import database_urls
from tests.events import publish_event
from tests.integration.conftest import call
from tests.polling import wait_until

__all__ = ["call", "wait_until", "deliver", "event", "EventTap", "purge_events"]


def deliver(config, container, handler: str, payload: dict, source: str | None = None) -> dict:
    """Publish `payload` as its source service would and wait until `handler` has run on it (not
    on another event of the queue)."""
    event_type = payload["event_type"]

    def handled_ours(worker_ctx, result, exc_info) -> bool:
        [batch] = worker_ctx.args  # the handler's worker takes a batch (plumbing/event_batches.py)
        return any(delivery.payload == payload for delivery in batch.deliveries)

    with entrypoint_waiter(container, handler, timeout=15, callback=handled_ours):
        publish_event(config, source or SOURCES[event_type], event_type, payload)
    return payload


def purge_events(config, services, source: str | None = None) -> None:
    """Empty the handler queues of `services` (of events from `source`, or all): events a test
    left there would reach the next test's containers, whose databases are empty."""
    with Connection(config["AMQP_URI"]) as connection:
        for service in services:
            for name in dir(service):
                spec = handler_spec(service, name)
                if spec is not None and source in (None, spec.source_service):
                    queue = Queue(
                        f"evt-{spec.source_service}-{spec.event_type}--{service.name}.{spec.name}", no_declare=True
                    )
                    try:
                        queue(connection.channel()).purge()
                    except connection.channel_errors:
                        pass  # that service never ran here, so its queue doesn't exist


def event(event_type: str, **fields) -> dict:
    return make_event(event_type, **fields)


class EventTap:
    """A private queue bound to every event of one service's exchange."""

    def __init__(self, config: dict, source_service: str):
        self.config = config
        self.connection = Connection(config["AMQP_URI"])
        exchange = get_event_exchange(source_service, {})  # declared: the source may not have run yet
        queue = Queue(f"test-tap-{uuid.uuid4().hex}", exchange=exchange, routing_key="#", auto_delete=True)
        self.queue = queue(self.connection.default_channel)
        self.queue.declare()
        self.received: list[tuple[str, dict]] = []

    def drain(self) -> list[tuple[str, dict]]:
        """Everything received so far, as (routing key, payload)."""
        while (message := self.queue.get(no_ack=True)) is not None:
            self.received.append((message.delivery_info["routing_key"], message.decode()))
        return self.received

    def wait_for(self, count: int, event_type: str | None = None, timeout: float = 10,
                 order_id: str | None = None) -> list[dict]:
        """At least `count` events of `event_type` (and of `order_id`: the exchange also carries
        what other tests' containers publish, and a relay may publish an event twice)."""
        def matching():
            return [body for key, body in self.drain()
                    if event_type in (None, key) and order_id in (None, body.get("order_id"))]

        wait_until(lambda: len(matching()) >= count, timeout)
        return matching()

    def drain_after_outbox(self, service: str, timeout: float = 10) -> list[tuple[str, dict]]:
        """Everything received once `service`'s outbox holds no unsent row: all it dispatched."""
        engine = create_engine(database_urls(self.config)[service])
        try:
            with engine.connect() as conn:
                unsent = text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                wait_until(lambda: conn.execute(unsent).scalar() == 0, timeout)
        finally:
            engine.dispose()
        return self.drain()

    def close(self) -> None:
        self.queue.delete()
        self.connection.close()
