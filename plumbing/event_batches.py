"""The event-handler entrypoint: one worker for every message of a handler's queue that is
already waiting, up to EVENT_BATCH_MAX (plumbing.handlers runs them in one transaction).

It never waits for more: the first message of a quiet queue starts a worker at once, alone. Up to
EVENT_BATCH_CONCURRENCY batches run at once per handler and instance (a batch mostly waits on
its database, so one alone would not keep up); what arrives while they all run waits here and
goes to the next worker together, so batches grow with the load and a lone event is not delayed.
Instances of a service compete for the queue as before.

Each message is acked, or put back, once its batch's worker has finished (after its commit),
one ack per message: the channel is shared by every handler of the service, so a `multiple=True`
ack would also ack other handlers' messages still in progress. The consumer has its own
connection and channel, apart from the RPC consumer's, with a prefetch of twice the batch size,
so the next batch fills while one runs. nameko 2.14 kills the whole container when an ack fails
because the broker went away; the message stays unacked on a channel that is gone, so the broker
delivers it again: that is logged here instead."""

from collections import deque
from typing import NamedTuple

import nameko.events
from eventlet.event import Event
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from plumbing.broker import publisher_id
from plumbing.entrypoints import BROKER_GONE, lost

DEFAULT_BATCH_MAX = 20
DEFAULT_CONCURRENCY = 2
REQUEUED = "requeued"  # a worker's outcome for a message that must go back to its queue


class Delivery(NamedTuple):
    payload: object
    context: dict  # the message's context headers (request id, traceparent)
    publisher: str | None  # the broker user that published it (RabbitMQ's validated user_id)


class Batch(NamedTuple):
    deliveries: list[Delivery]
    # The worker's context data, shared with its RPC proxies: plumbing.handlers puts each event's
    # request id and traceparent in it while that event is handled, so the calls it makes carry them.
    worker_data: dict
    source_publisher: str  # the broker user of the events' source: only it may publish them


def batch_max(config: dict) -> int:
    return max(1, int(config.get("EVENT_BATCH_MAX", DEFAULT_BATCH_MAX)))


class BatchQueueConsumer(QueueConsumer):
    """nameko's queue consumer (it reconnects after a broker outage), on a connection of its
    own, with a prefetch per handler queue of twice the batch size."""

    @property
    def prefetch_count(self):
        return 2 * batch_max(self.container.config)


class EventHandler(nameko.events.EventHandler):
    queue_consumer = BatchQueueConsumer()

    def setup(self):
        super().setup()
        self.max_batch = batch_max(self.container.config)
        self.concurrency = max(1, int(self.container.config.get("EVENT_BATCH_CONCURRENCY", DEFAULT_CONCURRENCY)))
        self._waiting: deque = deque()
        self._running = 0
        self._stopping = False
        # Only the source's own broker user publishes on its exchange (plumbing.broker).
        self.source_publisher = publisher_id(self.container.config, self.source_service)

    def stop(self):
        # No batch starts from now on: nameko waits for the workers running, then stops the
        # dependencies. What still waits here is never acked, so the broker delivers it again.
        self._stopping = True
        super().stop()

    def handle_message(self, body, message):
        # The queue consumer calls this in a greenlet of its own for every message. One that
        # finds fewer batches running than allowed runs batches until nothing waits; the others
        # leave their message to those.
        self._waiting.append((body, message))
        if self._running >= self.concurrency:
            return
        self._running += 1
        try:
            while self._waiting and not self._stopping:
                taken = min(self.max_batch, len(self._waiting))
                self._run([self._waiting.popleft() for _ in range(taken)])
        finally:
            self._running -= 1

    def _run(self, taken: list) -> None:
        messages = [message for _, message in taken]
        data: dict = {}
        batch = Batch(
            [Delivery(body, self.unpack_message_headers(message), message.properties.get("user_id"))
             for body, message in taken],
            data,
            self.source_publisher,
        )
        done = Event()

        def handle_result(worker_ctx, result, exc_info):
            try:
                self._settle(messages, result, exc_info)
            finally:
                done.send()
            return result, exc_info

        try:
            self.container.spawn_worker(self, (batch,), {}, context_data=data, handle_result=handle_result)
        except ContainerBeingKilled:
            for message in messages:
                self.queue_consumer.requeue_message(message)
            return
        done.wait()

    def _settle(self, messages: list, outcomes, exc_info) -> None:
        """Ack each message, or requeue it where its outcome says so (all of them when the
        worker itself failed)."""
        if exc_info is not None:
            outcomes = [REQUEUED] * len(messages)
        for message, outcome in zip(messages, outcomes, strict=True):
            try:
                if outcome == REQUEUED:
                    self.queue_consumer.requeue_message(message)
                else:
                    self.queue_consumer.ack_message(message)
            except BROKER_GONE as error:
                lost("ack of event", message, error)


event_handler = EventHandler.decorator
