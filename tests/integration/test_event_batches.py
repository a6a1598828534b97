"""Batched event handlers (plumbing/event_batches.py, plumbing/handlers.py): events already
waiting in a handler's queue are handled together in one transaction, a poison event among them
ends as a dead letter while the rest go through, and copies of one event are handled once."""

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import event_dispatcher, get_event_exchange
from sqlalchemy import create_engine, text

from contracts.events import USER_REGISTERED
from notifications.models import HANDLER_TABLES, Base
from plumbing.broker import publisher_id
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import ATTEMPTS, idempotent_handler
from plumbing.migrations import database_urls
from plumbing.unit_of_work import UnitOfWorkProvider
from tests.events import publish_event
from tests.integration.eventing import call, event, wait_until
from tests.tokens import ADMIN

SOURCE = "batch_source"
HANDLER = "handle_user_registered"


class BatchProbe(DeadLetterOperations):
    """Borrows the notifications database; its handler fails on the events named in `poison`."""

    name = "batch_probe"
    db = Database(Base)
    uow = UnitOfWorkProvider()
    handler_tables = HANDLER_TABLES
    poison: set = set()
    calls: list = []
    locked: list = []  # the events each batch's lock_batch was given

    @idempotent_handler(SOURCE, USER_REGISTERED, lock_batch=lambda uow, events: BatchProbe.locked.append(events))
    def handle_user_registered(self, uow, event: dict) -> None:
        """Counts its calls; raises on a poison event."""
        BatchProbe.calls.append(event["event_id"])
        if event["event_id"] in BatchProbe.poison:
            raise RuntimeError("a poison event")


@pytest.fixture
def probe_config(config):
    return {**config, "DB_URIS": {**config["DB_URIS"], "batch_probe:Base": config["DB_URIS"]["notifications:Base"]}}


@pytest.fixture
def queued(probe_config):
    """Publish events into the probe's queue while no probe runs, so they wait there together."""
    BatchProbe.poison, BatchProbe.calls, BatchProbe.locked = set(), [], []
    with Connection(probe_config["AMQP_URI"]) as connection:
        queue = Queue(f"evt-{SOURCE}-{USER_REGISTERED}--{BatchProbe.name}.{HANDLER}",
                      exchange=get_event_exchange(SOURCE, {}), routing_key=USER_REGISTERED, durable=True)
        queue(connection.channel()).declare()
        def publish(payloads: list[dict]) -> list[dict]:
            for payload in payloads:
                publish_event(probe_config, SOURCE, USER_REGISTERED, payload)
            return payloads

        yield publish
        queue(connection.channel()).delete()


@pytest.fixture
def start_probe(container_factory, probe_config):
    def start():
        container = container_factory(BatchProbe, probe_config)
        container.start()
        return container

    return start


@pytest.fixture
def marks(config):
    """The probe's processed_events rows: {event_id: processed_at}. processed_at is the start
    of the transaction that marked the event, so events marked together share it."""
    engine = create_engine(database_urls(config)["notifications"])

    def read() -> dict:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT event_id, processed_at FROM processed_events WHERE handler = :h"),
                                {"h": HANDLER})
            return dict(rows.all())

    yield read
    engine.dispose()


def registered(n: int) -> dict:
    return event(USER_REGISTERED, user_id=f"u-{n}", email=f"u-{n}@example.com", name="U")


def test_events_waiting_together_are_handled_in_few_transactions(queued, start_probe, marks):
    sent = queued([registered(n) for n in range(40)])
    start_probe()
    wait_until(lambda: len(marks()) == len(sent), timeout=30)
    transactions = set(marks().values())
    # The first events start batches of their own at once; what waits meanwhile goes together.
    assert len(transactions) <= len(sent) // 4, f"{len(transactions)} transactions for {len(sent)} events"
    assert sorted(BatchProbe.calls) == sorted(payload["event_id"] for payload in sent)  # each once


def test_a_poison_event_in_a_batch_is_a_dead_letter_and_the_rest_of_the_batch_goes_through(
        queued, start_probe, marks):
    sent = [registered(n) for n in range(30)]
    poison = sent[17]["event_id"]
    BatchProbe.poison = {poison}
    queued(sent)
    probe = start_probe()
    wait_until(lambda: call(probe, "list_dead_letters", as_=ADMIN)["total"] == 1, timeout=30)
    [dead] = call(probe, "list_dead_letters", as_=ADMIN)["items"]
    assert dead["event_id"] == poison and dead["attempts"] == ATTEMPTS
    wait_until(lambda: len(marks()) == len(sent) - 1)
    assert poison not in marks()
    # The batch the poison came in was rolled back whole, then each of its events handled on
    # its own: the poison ATTEMPTS times, the others once more, committed once (their marks).
    assert BatchProbe.calls.count(poison) == 1 + ATTEMPTS
    assert {payload["event_id"] for payload in sent} - {poison} == set(marks())


def test_copies_of_one_event_waiting_together_are_handled_once(queued, start_probe, marks):
    once = registered(1)
    sent = queued([registered(0), once, once, registered(2), once])
    start_probe()
    wait_until(lambda: len(marks()) == 3)
    assert BatchProbe.calls.count(once["event_id"]) == 1
    assert sorted(set(BatchProbe.calls)) == sorted({payload["event_id"] for payload in sent})


def test_an_invalid_payload_in_a_batch_is_a_dead_letter_and_the_others_are_handled(queued, start_probe, marks):
    sent = [registered(n) for n in range(10)]
    invalid = {**registered(99), "email": "not an email"}
    queued(sent[:5] + [invalid] + sent[5:])
    probe = start_probe()
    wait_until(lambda: call(probe, "list_dead_letters", as_=ADMIN)["total"] == 1, timeout=30)
    [dead] = call(probe, "list_dead_letters", as_=ADMIN)["items"]
    assert dead["event_id"] == invalid["event_id"] and dead["attempts"] == 1 and "Invalid payload" in dead["error"]
    wait_until(lambda: len(marks()) == len(sent))
    assert set(marks()) == {payload["event_id"] for payload in sent}
    assert invalid["event_id"] not in BatchProbe.calls


def test_a_batch_takes_its_locks_first_and_handles_its_events_by_aggregate(queued, start_probe, marks):
    sent = queued([registered(n) for n in reversed(range(40))])  # user ids in descending order
    start_probe()
    wait_until(lambda: len(marks()) == len(sent), timeout=30)
    user_of = {payload["event_id"]: payload["user_id"] for payload in sent}
    batches = [[event["event_id"] for event in events] for events in BatchProbe.locked]
    assert batches and max(len(batch) for batch in batches) > 1
    for batch in batches:
        # Handled in the order lock_batch was given them: by user id, not as they arrived.
        assert batch == sorted(batch, key=user_of.get)
        start = BatchProbe.calls.index(batch[0])
        assert BatchProbe.calls[start:start + len(batch)] == batch


def test_an_event_its_source_did_not_publish_is_a_dead_letter_and_never_handled(queued, start_probe, marks,
                                                                                probe_config):
    """Only the source's broker user may publish its events (issue 22): one published in another
    principal's name, or naming none, is refused amid genuine ones."""
    genuine = queued([registered(n) for n in range(5)])
    forged = [registered(n) for n in range(5, 7)]
    event_dispatcher(probe_config, user_id=publisher_id(probe_config, "orders"))(SOURCE, USER_REGISTERED, forged[0])
    event_dispatcher(probe_config)(SOURCE, USER_REGISTERED, forged[1])  # no user_id at all
    probe = start_probe()
    wait_until(lambda: call(probe, "list_dead_letters", as_=ADMIN)["total"] == 2, timeout=30)
    wait_until(lambda: len(marks()) == len(genuine))
    dead = call(probe, "list_dead_letters", as_=ADMIN)["items"]
    assert {letter["event_id"] for letter in dead} == {payload["event_id"] for payload in forged}
    assert all(letter["error"].startswith("Refused: published by broker user") for letter in dead), dead
    assert sorted(BatchProbe.calls) == sorted(payload["event_id"] for payload in genuine)
