"""Notifications delivered by SMTP when a host is configured (to a fake server)."""

import pytest
from prometheus_client import REGISTRY

from contracts.events import ORDER_SHIPPED, USER_REGISTERED
from notifications.service import NotificationsService
from tests.integration.eventing import call, deliver, event, wait_until
from tests.tokens import ADMIN, User

ADA = User("user-ada")


@pytest.fixture
def mailing_container(container_factory, config, smtp_server):
    settings = {**config["NOTIFICATIONS"], "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port}
    container = container_factory(NotificationsService, {**config, "NOTIFICATIONS": settings})
    container.start()
    return container


def shipped() -> dict:
    return event(ORDER_SHIPPED, order_id="order-1", user_id=ADA.id, total="9.99", currency="EUR")


def test_a_welcome_is_mailed_to_the_registered_address(config, mailing_container, smtp_server):
    payload = event(USER_REGISTERED, user_id=ADA.id, email="ada@example.com", name="Ada")
    deliver(config, mailing_container, "handle_user_registered", payload)

    [message] = wait_until(lambda: smtp_server.messages)
    assert (message["To"], message["Subject"]) == ("ada@example.com", "Welcome to OMS, Ada")
    [stored] = call(mailing_container, "list_notifications", ADA.id, as_=ADA)["items"]
    assert stored["channel"] == "smtp"


def test_mail_for_an_unknown_address_waits_in_dead_letters_until_replayed(
    config, mailing_container, smtp_server
):
    deliver(config, mailing_container, "handle_order_shipped", shipped())
    [dead] = call(mailing_container, "list_dead_letters", as_=ADMIN)["items"]
    assert "RecipientUnknown" in dead["error"]
    assert call(mailing_container, "list_notifications", ADA.id, as_=ADA)["total"] == 0

    registered = event(USER_REGISTERED, user_id=ADA.id, email="ada@example.com", name="Ada")
    deliver(config, mailing_container, "handle_user_registered", registered)
    assert call(mailing_container, "replay_dead_letter", dead["id"], as_=ADMIN)["outcome"] == "processed"

    wait_until(lambda: len(smtp_server.messages) == 2)
    assert [m["Subject"] for m in smtp_server.messages] == ["Welcome to OMS, Ada", "Order order-1 shipped"]
    assert call(mailing_container, "list_notifications", ADA.id, as_=ADA)["total"] == 2


def test_deliveries_are_counted_by_outcome_for_the_alert_on_failing_mail(config, mailing_container, smtp_server):
    def count(outcome: str) -> float:
        return REGISTRY.get_sample_value("oms_mail_deliveries_total", {"channel": "smtp", "outcome": outcome}) or 0

    before = {outcome: count(outcome) for outcome in ("sent", "failed")}
    deliver(config, mailing_container, "handle_order_shipped", shipped())  # no address yet: each attempt fails
    deliver(config, mailing_container, "handle_user_registered",
            event(USER_REGISTERED, user_id=ADA.id, email="ada@example.com", name="Ada"))

    assert count("sent") - before["sent"] == 1
    assert count("failed") - before["failed"] >= 1  # every attempt before the dead letter
