"""The dead-letter CLI (operations/dead_letters.py, `make dead-letters` ...) against a running
payments container, through the services' operator RPCs."""

import io
import json
import uuid

import pytest
from sqlalchemy import text

from contracts.events import ORDER_CREATED
from operations.dead_letters import dead_letter_services, main, summary
from operations.session import TOKEN_ENV
from tests.integration.eventing import deliver, event
from tests.tokens import ADMIN, User, expired_token


def order_created(**overrides) -> dict:
    total = "12.00"
    return {
        **event(
            ORDER_CREATED, order_id=str(uuid.uuid4()), user_id="user-1", total=total, currency="EUR",
            payment_token="tok_visa", items=[{"product_id": "p-1", "quantity": 1, "unit_price": total}],
        ),
        **overrides,
    }


def run(config, *argv, token: str | None = None) -> tuple[int, str]:
    """The CLI, logged in with `token` (OMS_TOKEN), an admin's by default."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TOKEN_ENV, token or ADMIN.token)
        code = main(["--timeout", "10", *argv], config=config, out=out)
    return code, out.getvalue()


@pytest.fixture
def dead_letters(config, payments_container, payments_db):
    """Two dead letters in payments: a payload that fails its schema (delivered for real: it can
    never be replayed), and a valid order_created its handler gave up on (replayable)."""
    poison = deliver(config, payments_container, "handle_order_created", order_created(total="not money"))
    healthy = order_created()
    with payments_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dead_letters (id, event_id, event_type, source_service, handler, payload, error,"
                " attempts) VALUES (:id, :event_id, 'order_created', 'orders', 'handle_order_created',"
                " CAST(:payload AS jsonb), :error, 3)"
            ),
            {"id": str(uuid.uuid4()), "event_id": healthy["event_id"], "payload": json.dumps(healthy),
             "error": "Traceback (most recent call last):\n  ...\nOperationalError: the database went away\n"},
        )
        rows = conn.execute(text("SELECT id, event_id FROM dead_letters")).all()
    ids = {event_id: dead_id for dead_id, event_id in rows}
    return {"poison": (ids[poison["event_id"]], poison), "healthy": (ids[healthy["event_id"]], healthy)}


def test_list_replay_and_discard_through_the_running_service(config, dead_letters, payments_db):
    poison_id, poison = dead_letters["poison"]
    healthy_id, healthy = dead_letters["healthy"]

    code, out = run(config, "list", "payments")
    assert code == 0, out
    assert "payments: 2 dead letter(s)" in out
    assert poison_id in out and healthy_id in out
    assert "Invalid payload" in out and "OperationalError: the database went away" in out
    assert "orders.order_created -> handle_order_created" in out

    code, out = run(config, "list", "--json", "payments")
    listed = json.loads(out)["payments"]
    assert code == 0 and {item["id"] for item in listed} == {poison_id, healthy_id}

    code, out = run(config, "replay", "payments", healthy_id)
    assert (code, out) == (0, f"payments {healthy_id}: processed\n")
    with payments_db.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM payments WHERE order_id = :id"), {"id": healthy["order_id"]}
        ).scalar()
    assert status == "authorized"

    code, out = run(config, "replay", "payments")  # all that are left: the poison fails again
    assert code == 1
    assert f"payments {poison_id}: FAILED Conflict" in out

    code, out = run(config, "discard", "payments", poison_id)
    assert (code, out) == (0, f"payments {poison_id}: discarded\n")
    code, out = run(config, "list", "payments")
    assert (code, out) == (0, "payments: 0 dead letter(s)\n")
    code, out = run(config, "discard", "payments", poison_id)
    assert code == 1 and "FAILED NotFound" in out
    code, out = run(config, "replay", "payments")
    assert (code, out) == (0, "payments: no dead letters to replay\n")


@pytest.mark.parametrize("token", [User("user-1").token, expired_token()], ids=["customer", "expired"])
def test_only_an_admin_may_list_replay_or_discard(config, dead_letters, payments_db, token, capsys):
    poison_id, _ = dead_letters["poison"]
    for argv in (("list", "payments"), ("replay", "payments"), ("discard", "payments", poison_id)):
        code, out = run(config, *argv, token=token)
        said = out + capsys.readouterr().err
        assert code == 1 and any(word in said for word in ("refused:", "FAILED Forbidden", "FAILED Unauth")), said
    with payments_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dead_letters")).scalar() == 2


def test_without_credentials_the_command_asks_for_them(config, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(SystemExit, match="an admin's email"):
        main(["list", "payments"], config=config, out=io.StringIO())


def test_a_service_that_does_not_answer_is_reported_and_fails_the_command(config, payments_container, capsys):
    code, out = run(config, "list", "payments", "orders")  # no orders container runs
    assert code == 1
    assert out == "payments: 0 dead letter(s)\n"
    assert "orders: no answer" in capsys.readouterr().err


def test_every_service_with_dead_letters_is_listed_by_default(config):
    assert dead_letter_services(config) == ["products", "orders", "payments", "notifications", "order_queries",
                                            "webhooks"]


def test_the_summary_is_the_last_line_of_the_error():
    assert summary("Traceback ...\n  File x\nRuntimeError: boom\n\n") == "RuntimeError: boom"
    assert summary("") == ""
