"""Publishing a burst of events with one wait for the broker's confirms (the outbox's sender).

nameko's Publisher waits for each message's confirm before it sends the next (kombu's
`confirm_publish`), and takes a producer from kombu's pool and gives it back per message: a round
trip to the broker and a pool checkout per event. A `ConfirmedPublisher` keeps one connection and
one channel in confirm mode, sends a burst of messages back to back, then waits until the broker
has confirmed them all. What it reports confirmed is a prefix of the burst: the caller marks those
sent and leaves the rest for later (the relay publishes them again; handlers are idempotent).

One burst at a time per publisher (the outbox's sender and its relay timer share one); a failed
burst drops the connection, and the next burst opens a new one."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kombu import Connection, Exchange, Producer
from nameko.constants import PERSISTENT

CONFIRM_TIMEOUT_SECONDS = 5.0


class NotConfirmed(Exception):
    """The broker refused a message (nack), or did not confirm it in time."""


class Burst:
    """Messages sent back to back on the publisher's channel; `confirmed` is set when it ends."""

    def __init__(self, publisher: "ConfirmedPublisher"):
        self._publisher = publisher
        self.first = publisher.published + 1  # the broker's number for the first of the burst
        self.sent = 0
        self.confirmed = 0

    def send(self, payload: dict, routing_key: str, headers: dict) -> None:
        self._publisher.send(payload, routing_key, headers)
        self.sent += 1

    @property
    def last(self) -> int:
        return self.first + self.sent - 1


class ConfirmedPublisher:
    def __init__(self, amqp_uri: str, exchange: Exchange, serializer: str, user_id: str, ssl=None,
                 login_method=None, timeout: float = CONFIRM_TIMEOUT_SECONDS):
        """`user_id`: the broker user it publishes as (plumbing.broker publisher_id), which the
        broker checks and consumers read."""
        self._uri = amqp_uri
        self.user_id = user_id
        self._connect_args = {"ssl": ssl, "login_method": login_method}
        self.exchange = exchange
        self.serializer = serializer
        self.timeout = timeout
        self._lock = threading.Lock()  # green in a monkey-patched service
        self._connection = None
        self._producer = None
        self.published = 0  # on the current channel, which numbers confirms from 1
        self._acked_upto = 0  # every number up to this one is confirmed
        self._acked: set[int] = set()  # confirmed one by one, past _acked_upto
        self._nacked: int | None = None

    @contextmanager
    def burst(self) -> Iterator[Burst]:
        """`burst.send(...)` each message in order; leaving the block waits until the broker
        has confirmed them all. If the block or the wait raises, `burst.confirmed` says how many
        of the first it confirmed, the connection is dropped, and the error goes on."""
        with self._lock:
            burst = None
            try:
                self._ready()
                burst = Burst(self)
                yield burst
                self._await(burst.last)
                burst.confirmed = burst.sent
            except BaseException:
                if burst is not None:
                    burst.confirmed = self._confirmed_prefix(burst)
                self.close()
                raise

    def send(self, payload: dict, routing_key: str, headers: dict) -> None:
        self._producer.publish(payload, routing_key=routing_key, headers=headers, delivery_mode=PERSISTENT,
                               user_id=self.user_id, retry=False)
        self.published += 1

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: S110 - a connection that failed may fail to close too
                pass

    def _ready(self) -> None:
        if self._producer is not None:
            return
        connection = Connection(self._uri, **self._connect_args)
        channel = connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self.exchange(channel).declare()
        self.published, self._acked_upto, self._acked, self._nacked = 0, 0, set(), None
        self._connection = connection
        self._producer = Producer(channel, exchange=self.exchange, serializer=self.serializer, auto_declare=False)

    def _on_ack(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._acked_upto = max(self._acked_upto, tag)
        elif tag > self._acked_upto:
            self._acked.add(tag)
        while self._acked_upto + 1 in self._acked:
            self._acked_upto += 1
        if self._acked:  # what the prefix now covers is not kept: the channel lives for days
            self._acked = {acked for acked in self._acked if acked > self._acked_upto}

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._nacked = tag if self._nacked is None else min(self._nacked, tag)

    def _confirmed_prefix(self, burst: Burst) -> int:
        return max(0, min(self._acked_upto, burst.last) - burst.first + 1)

    def _await(self, last: int) -> None:
        """Until every message up to number `last` is confirmed; NotConfirmed on a refusal
        (nack) or after `timeout` seconds."""
        deadline = time.monotonic() + self.timeout
        while self._acked_upto < last:
            if self._nacked is not None:
                raise NotConfirmed(f"the broker refused message {self._nacked} of the burst")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NotConfirmed(f"not all confirmed within {self.timeout} s")
            try:
                self._connection.drain_events(timeout=remaining)
            except TimeoutError:
                pass
