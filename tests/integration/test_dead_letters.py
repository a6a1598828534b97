"""Failing handlers: bounded retries, then a dead letter an operator can replay or discard."""

import eventlet
import pytest
from sqlalchemy import create_engine, make_url, text

from contracts.events import USER_REGISTERED
from notifications.models import HANDLER_TABLES, Base
from operations.invariants import check
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import ATTEMPTS, idempotent_handler
from plumbing.migrations import database_urls
from plumbing.unit_of_work import UnitOfWorkProvider
from tests.events import publish_event
from tests.integration.eventing import call, deliver, event, wait_until
from tests.tokens import ADMIN
from wire.errors import Conflict, NotFound

SOURCE = "dead_letter_source"


class ProbeService(DeadLetterOperations):
    """Borrows the notifications database; its handler fails while `broken` is set."""

    name = "dead_letter_probe"
    db = Database(Base)
    uow = UnitOfWorkProvider()
    handler_tables = HANDLER_TABLES
    broken = True
    outage = None  # set: called once, by the handler's first call, to take the database away
    calls = []

    @idempotent_handler(SOURCE, USER_REGISTERED)
    def handle_user_registered(self, uow, event: dict) -> None:
        """Counts its calls; raises while the probe is broken."""
        ProbeService.calls.append(event["event_id"])
        if ProbeService.outage is not None:
            ProbeService.outage, outage = None, ProbeService.outage
            outage()
        if ProbeService.broken:
            raise RuntimeError("the probe is broken")


@pytest.fixture
def probe(container_factory, config):
    ProbeService.broken, ProbeService.calls, ProbeService.outage = True, [], None
    uris = {**config["DB_URIS"], "dead_letter_probe:Base": config["DB_URIS"]["notifications:Base"]}
    container = container_factory(ProbeService, {**config, "DB_URIS": uris})
    container.start()
    return container


def registered(user_id="u-1") -> dict:
    return event(USER_REGISTERED, user_id=user_id, email=f"{user_id}@example.com", name="U")


def send(config, probe, payload) -> dict:
    return deliver(config, probe, "handle_user_registered", payload, source=SOURCE)


def test_a_handler_that_keeps_failing_ends_in_dead_letters_after_bounded_attempts(config, probe):
    payload = send(config, probe, registered())

    assert ProbeService.calls == [payload["event_id"]] * ATTEMPTS
    [dead] = call(probe, "list_dead_letters", as_=ADMIN)["items"]
    assert dead["attempts"] == ATTEMPTS and "the probe is broken" in dead["error"]
    assert (dead["event_type"], dead["source_service"], dead["handler"]) == (
        USER_REGISTERED, SOURCE, "handle_user_registered"
    )
    assert dead["payload"] == payload and dead["event_id"] == payload["event_id"]


def test_replay_after_the_fix_processes_the_event_and_removes_the_dead_letter(config, probe):
    payload = send(config, probe, registered())
    [dead] = call(probe, "list_dead_letters", as_=ADMIN)["items"]

    with pytest.raises(Conflict):
        call(probe, "replay_dead_letter", dead["id"], as_=ADMIN)
    assert call(probe, "list_dead_letters", as_=ADMIN)["items"][0]["attempts"] == ATTEMPTS + 1

    ProbeService.broken = False
    assert call(probe, "replay_dead_letter", dead["id"], as_=ADMIN) == {"id": dead["id"], "outcome": "processed"}
    assert call(probe, "list_dead_letters", as_=ADMIN)["total"] == 0

    send(config, probe, payload)  # a late redelivery is now a duplicate: the handler is not called
    assert ProbeService.calls.count(payload["event_id"]) == ATTEMPTS + 2


def test_a_discarded_dead_letter_is_set_aside_until_retention_deletes_it(config, probe):
    send(config, probe, registered())
    [dead] = call(probe, "list_dead_letters", as_=ADMIN)["items"]
    call(probe, "discard_dead_letter", dead["id"], as_=ADMIN)
    assert call(probe, "list_dead_letters", as_=ADMIN)["total"] == 0
    engine = create_engine(database_urls(config)["notifications"])
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT discarded_at FROM dead_letters WHERE id = :id"), {"id": dead["id"]}).one()
    engine.dispose()
    assert kept.discarded_at is not None  # deleted DISCARDED_DEAD_LETTER_DAYS later (test_retention)
    assert not [note for note in check(config).notes if "dead letter" in note]  # only those waiting count
    with pytest.raises(NotFound):
        call(probe, "discard_dead_letter", dead["id"], as_=ADMIN)
    with pytest.raises(NotFound):
        call(probe, "replay_dead_letter", dead["id"], as_=ADMIN)


def test_an_invalid_payload_is_dead_lettered_without_retries(config, probe):
    payload = {**registered(), "email": "not-an-email"}
    send(config, probe, payload)

    assert ProbeService.calls == []
    [dead] = call(probe, "list_dead_letters", as_=ADMIN)["items"]
    assert dead["attempts"] == 1 and "Invalid payload" in dead["error"]


def test_dead_letters_are_listed_oldest_first_by_page(config, probe):
    sent = [send(config, probe, registered(f"u-{n}")) for n in range(3)]
    first = call(probe, "list_dead_letters", page=1, page_size=2, as_=ADMIN)
    second = call(probe, "list_dead_letters", page=2, page_size=2, as_=ADMIN)
    assert first["total"] == 3
    listed = [item["event_id"] for item in first["items"] + second["items"]]
    assert listed == [payload["event_id"] for payload in sent]



def test_while_its_database_is_down_an_event_goes_back_to_the_queue_without_spending_attempts(
        config, probe, caplog):
    database = make_url(database_urls(config)["notifications"]).database
    admin = create_engine(database_urls(config)["notifications"].replace(f"/{database}", "/postgres"),
                          isolation_level="AUTOCOMMIT")

    def accept_connections(allowed: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:  # the handler's own connection too: its commit fails
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
                             {"db": database})

    def outage() -> None:
        accept_connections(False)
        eventlet.spawn_after(3, accept_connections, True)

    ProbeService.broken, ProbeService.outage = False, outage
    try:
        payload = registered()
        publish_event(config, SOURCE, USER_REGISTERED, payload)
        wait_until(lambda: ProbeService.calls == [payload["event_id"]] * 2, timeout=30)
        wait_until(lambda: "goes back to the queue" in caplog.text)
    finally:
        accept_connections(True)
        admin.dispose()
    assert call(probe, "list_dead_letters", as_=ADMIN)["total"] == 0
    assert "failed (attempt" not in caplog.text  # the outage spent none of the event's attempts
