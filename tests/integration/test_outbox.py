"""The transactional outbox and its relay, on the users database and the real broker."""

import subprocess

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.events import get_event_exchange
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from contracts.events import USER_REGISTERED
from contracts.operation import Operation
from plumbing.broker import publisher_id
from plumbing.callers import Caller, rpc
from plumbing.db import Database
from plumbing.migrations import database_urls
from plumbing.outbox import Outbox, OutboxRelay, Relay, insert_event
from plumbing.publishing import ConfirmedPublisher
from plumbing.unit_of_work import UnitOfWorkProvider
from tests.integration.eventing import EventTap, call, wait_until
from users.models import Base, OutboxEvent
from wire.access import PUBLIC

SOURCE = "outbox_probe"  # an exchange of its own, so no service's consumers are involved


@pytest.fixture
def engine(config):
    engine = create_engine(database_urls(config)["users"])
    yield engine
    engine.dispose()


@pytest.fixture
def tap(config):
    tap = EventTap(config, SOURCE)
    yield tap
    tap.close()


def write_events(engine, count: int = 1, commit: bool = True) -> list[dict]:
    with Session(engine) as session:
        payloads = [
            insert_event(
                session, OutboxEvent, USER_REGISTERED, {"user_id": f"u{n}", "email": f"u{n}@example.com", "name": "U"}
            ).payload
            for n in range(count)
        ]
        session.commit() if commit else session.rollback()
    return payloads


def unsent(engine) -> list:
    with Session(engine) as session:
        return session.scalars(select(OutboxEvent).where(OutboxEvent.sent_at.is_(None))).all()


def test_a_committed_event_is_published_once_relayed_and_marked_sent(engine, config, tap):
    [payload] = write_events(engine)
    assert [row.event_id for row in unsent(engine)] == [payload["event_id"]]

    assert Relay(engine, OutboxEvent, SOURCE, config).relay() == 1

    assert tap.wait_for(1) == [payload]
    assert tap.received[0][0] == USER_REGISTERED  # routing key = event type, as nameko dispatches
    assert unsent(engine) == []
    assert Relay(engine, OutboxEvent, SOURCE, config).relay() == 0
    assert len(tap.drain()) == 1


def test_a_rolled_back_transaction_publishes_nothing(engine, config, tap):
    write_events(engine, commit=False)
    assert Relay(engine, OutboxEvent, SOURCE, config).relay() == 0
    assert unsent(engine) == []
    assert tap.drain() == []


def test_two_relays_at_once_publish_every_row_exactly_once(engine, config, tap):
    payloads = write_events(engine, count=250)  # more than one batch each
    other_engine = create_engine(database_urls(config)["users"])
    relays = [Relay(engine, OutboxEvent, SOURCE, config), Relay(other_engine, OutboxEvent, SOURCE, config)]
    try:
        counts = [thread.wait() for thread in [eventlet.spawn(relay.relay) for relay in relays]]
    finally:
        other_engine.dispose()

    assert sum(counts) == 250
    received = [body["event_id"] for body in tap.wait_for(250)]
    assert sorted(received) == sorted(p["event_id"] for p in payloads)
    assert unsent(engine) == []


def test_an_event_written_while_the_broker_is_unreachable_is_published_later(engine, config, tap):
    [payload] = write_events(engine)
    unreachable = {**config, "AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/"}
    broken = Relay(engine, OutboxEvent, SOURCE, unreachable)

    assert broken.relay() == 0
    [row] = unsent(engine)
    assert row.attempts == 1 and row.last_error

    assert Relay(engine, OutboxEvent, SOURCE, config).relay() == 1
    assert tap.wait_for(1) == [payload]


def test_the_relay_timer_leaves_fresh_rows_to_the_sender_of_their_commit(engine, config, tap):
    [payload] = write_events(engine)
    relay = Relay(engine, OutboxEvent, SOURCE, config)

    assert relay.relay(min_age=60) == 0
    assert tap.drain() == []
    assert relay.relay(min_age=0) == 1
    assert tap.wait_for(1) == [payload]


def test_send_publishes_committed_rows_in_order_and_marks_them_sent(engine, config, tap):
    with Session(engine) as session:
        rows = [
            insert_event(session, OutboxEvent, USER_REGISTERED, {"user_id": f"u{n}", "email": "e@x.io", "name": "U"})
            for n in range(3)
        ]
        session.commit()

    assert Relay(engine, OutboxEvent, SOURCE, config).send(rows) == 3
    assert [body["user_id"] for body in tap.wait_for(3)] == ["u0", "u1", "u2"]
    assert unsent(engine) == []


def close_from_the_broker(publisher) -> None:
    """Have RabbitMQ close the publisher's connection, as when it restarts (rabbitmqctl)."""
    port = str(publisher._connection.connection.transport.sock.getsockname()[1])
    listed = subprocess.run(["rabbitmqctl", "-q", "list_connections", "pid", "peer_port"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    [pid] = [row.split()[0] for row in listed if row.split()[1:] == [port]]
    subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "closed by the test"], check=True,
                   capture_output=True)


def test_a_burst_after_the_broker_closed_the_connection_goes_out_on_a_new_one(engine, config, tap):
    relay = Relay(engine, OutboxEvent, SOURCE, config)
    first = write_events(engine, count=2)
    assert relay.relay() == 2
    close_from_the_broker(relay.publisher)

    second = write_events(engine, count=30)
    assert relay.relay() == 30
    received = [body["event_id"] for body in tap.wait_for(32)]
    assert received == [payload["event_id"] for payload in first + second]  # in order, each once
    assert unsent(engine) == []


def test_a_confirmed_burst_reports_every_message(config, tap):
    exchange = get_event_exchange(SOURCE, {})
    publisher = ConfirmedPublisher(config["AMQP_URI"], exchange, "json", publisher_id(config, SOURCE))
    try:
        with publisher.burst() as burst:
            for n in range(100):
                burst.send({"n": n}, USER_REGISTERED, {})
        assert (burst.sent, burst.confirmed) == (100, 100)
    finally:
        publisher.close()
    assert [body["n"] for body in tap.wait_for(100)] == list(range(100))



def public(method: str) -> Operation:
    """A test double's RPC, which anyone may call."""
    return Operation(id=method, service="test", method=method, access=PUBLIC, doc="A test double.")

class OutboxProbe(OutboxRelay):
    """A service with an outbox on the users database, publishing to an exchange of its own."""

    name = SOURCE
    caller = Caller()
    db = Database(Base)
    outbox = Outbox(OutboxEvent)
    uow = UnitOfWorkProvider()

    @rpc(public("write"))
    def write(self, rolled_back: list, committed: list) -> None:
        """Two units of work on one session: the first left without a commit, the second committed."""
        for user_ids, commit in ((rolled_back, False), (committed, True)):
            with self.uow() as uow:
                for user_id in user_ids:
                    uow.add_event(USER_REGISTERED, user_id=user_id, email="e@x.io", name="U")
                if commit:
                    uow.commit()


@pytest.fixture
def probe(container_factory, config):
    uris = {**config["DB_URIS"], f"{SOURCE}:Base": database_urls(config)["users"]}
    # No relay timer within the test: whatever is published was sent on commit.
    container = container_factory(OutboxProbe, {**config, "DB_URIS": uris, "OUTBOX_RELAY_INTERVAL_SECONDS": 3600})
    container.start()
    return container


def test_a_unit_of_works_events_are_written_at_its_commit_in_the_order_they_were_added(probe, engine, tap):
    user_ids = [f"u{n}" for n in range(6)]
    call(probe, "write", [], user_ids)

    assert [body["user_id"] for body in tap.wait_for(6)] == user_ids
    with Session(engine) as session:
        written = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    assert [row.payload["user_id"] for row in written] == user_ids
    assert len({row.created_at for row in written}) == 1  # one transaction


def test_a_workers_commit_publishes_its_events_at_once_and_a_rollback_nothing(probe, engine, tap):
    call(probe, "write", ["x"], ["a", "b"])
    call(probe, "write", ["y", "z"], ["c"])

    assert [body["user_id"] for body in tap.wait_for(3)] == ["a", "b", "c"]
    wait_until(lambda: unsent(engine) == [])
    eventlet.sleep(0.2)
    assert len(tap.drain()) == 3


class RegistrationListener:
    """A plain nameko handler: what relayed events must look like to any consumer."""

    name = "registration_listener"
    received = []

    @event_handler("users", USER_REGISTERED)
    def on_user_registered(self, payload):
        self.received.append(payload)


def test_register_relays_user_registered_to_plain_nameko_handlers(container_factory, config, users_container):
    RegistrationListener.received.clear()
    container_factory(RegistrationListener, config).start()

    credentials = {"email": "ada@example.com", "password": "x" * 12, "name": "Ada"}
    user = call(users_container, "register", credentials)

    [payload] = wait_until(lambda: RegistrationListener.received)
    assert payload["event_type"] == USER_REGISTERED
    assert (payload["user_id"], payload["email"], payload["name"]) == (user["id"], "ada@example.com", "Ada")
    assert payload["version"] == 1 and payload["event_id"] and payload["occurred_at"]
