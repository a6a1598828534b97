"""Webhooks end to end (issue 26): endpoints registered through the API, a receiver on loopback
that verifies every request with the Standard Webhooks library (`standardwebhooks`), the webhooks
service as a process. The system retries after 0.3, 0.6 and 1.2 s and times an attempt out
after 1 s (tests/e2e/conftest.py)."""

import uuid
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import assert_problem
from tests.e2e.test_after_sale import confirmed_order, key
from tests.polling import wait_until
from tests.webhook_receiver import HANG, start_receiver, stop_receiver

ATTEMPTS = 4  # the first and three retries


@pytest.fixture(autouse=True)
def no_other_endpoints(admin):
    """The fuzz runs before register endpoints at hosts that never answer, subscribed to
    everything: deleted, so that these tests measure their own endpoints only."""
    while page := admin.get("/webhooks", params={"page_size": 100}).json()["items"]:
        for endpoint in page:
            assert admin.delete(f"/webhooks/{endpoint['id']}").status_code in (204, 404)


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    stop_receiver(receiver)


@pytest.fixture
def endpoints(admin):
    """Registers endpoints; deletes them after the test, so no later test's events go to them."""
    created = []

    def register(url: str, event_types: list[str], **fields) -> dict:
        response = admin.post("/webhooks", json={"url": url, "event_types": event_types, **fields})
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
        return response.json()

    yield register
    for endpoint_id in created:
        assert admin.delete(f"/webhooks/{endpoint_id}").status_code == 204


def deliveries(admin, endpoint: dict, **filters) -> list[dict]:
    response = admin.get(f"/webhooks/{endpoint['id']}/deliveries", params={"page_size": 100, **filters})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def send_test(admin, endpoint: dict) -> dict:
    response = admin.post(f"/webhooks/{endpoint['id']}/test")
    assert response.status_code == 201, response.text
    return response.json()


def delivery(admin, endpoint: dict, delivery_id: str) -> dict:
    response = admin.get(f"/webhooks/{endpoint['id']}/deliveries/{delivery_id}")
    assert response.status_code == 200, response.text
    return response.json()


def finished(admin, endpoint: dict, delivery_id: str, status: str) -> dict:
    return wait_until(lambda: (found := delivery(admin, endpoint, delivery_id))["status"] == status and found,
                      what=f"delivery {delivery_id} {status}")


def test_an_orders_life_arrives_in_order_signed_and_once_per_event(admin, customer, product, receiver, endpoints):
    endpoint = endpoints(receiver.url("/life"), ["order.*", "payment.refunded"], description="ERP")
    order = confirmed_order(customer, (product, 1))
    assert admin.post(f"/orders/{order['id']}/ship").status_code == 200
    assert admin.post(f"/orders/{order['id']}/deliver").status_code == 200
    refund = admin.post(f"/orders/{order['id']}/refunds", json={"amount": "1.00", "reason": "late"}, headers=key())
    assert refund.status_code in (200, 201), refund.text
    # orders records the refund in the order's history once payments announced it.
    expected = ["order.created", "order.confirmed", "order.shipped", "order.delivered", "payment.refunded",
                "order.refund_recorded"]

    def of_order():
        return [r for r in receiver.acknowledged("/life") if r.payload["data"]["order_id"] == order["id"]]

    wait_until(lambda: [r.payload["type"] for r in of_order()] == expected, what="the order's life, in order")
    received = of_order()
    assert all(r.verifies_with(endpoint["secret"]) for r in received)
    assert len({r.headers["webhook-id"] for r in received}) == len(expected)  # each event once
    assert [r.payload["id"] for r in received] == [r.headers["webhook-id"] for r in received]
    assert all(r.payload["version"] == 1 and r.payload["timestamp"] for r in received)
    assert received[1].payload["data"]["status"] == "confirmed"
    logged = deliveries(admin, endpoint, order_id=order["id"])
    assert sorted(d["event_type"] for d in logged) == sorted(expected)
    assert {d["status"] for d in logged} == {"succeeded"} and {d["attempts"] for d in logged} == {1}


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt_and_the_log_shows_each(admin, receiver,
                                                                                            endpoints):
    endpoint = endpoints(receiver.url("/flaky"), ["webhook.test"])
    receiver.script("/flaky", 500, 500)
    sent = send_test(admin, endpoint)
    done = finished(admin, endpoint, sent["id"], "succeeded")
    assert [a["response_status"] for a in done["attempt_log"]] == [500, 500, 200]
    assert [a["number"] for a in done["attempt_log"]] == [1, 2, 3]
    first = done["attempt_log"][0]
    assert first["error"] == "answered 500" and first["response_body"] == "ok" and first["duration_ms"] >= 0
    assert first["request_headers"]["webhook-id"] == sent["event_id"] and first["request_body"] == done["body"]
    assert [r.answered for r in receiver.at("/flaky")] == [500, 500, 200]


def test_a_receiver_that_times_out_is_tried_again(admin, receiver, endpoints):
    endpoint = endpoints(receiver.url("/slow"), ["webhook.test"])
    receiver.script("/slow", HANG)
    sent = send_test(admin, endpoint)
    done = finished(admin, endpoint, sent["id"], "succeeded")
    assert [a["response_status"] for a in done["attempt_log"]] == [None, 200]
    assert "within 1 s" in done["attempt_log"][0]["error"]


def test_a_dead_endpoint_does_not_delay_a_healthy_one(admin, customer, product, receiver, endpoints):
    healthy = endpoints(receiver.url("/healthy"), ["order.*"])

    def delivered(orders):
        return [d for d in deliveries(admin, healthy) if d["order_id"] in orders and d["status"] == "succeeded"]

    def delays(orders) -> list[float]:
        """From each event to its arrival at the healthy receiver (measured, not bounded)."""
        return sorted(r.at - datetime.fromisoformat(r.payload["timestamp"]).timestamp()
                      for r in receiver.acknowledged("/healthy") if r.payload["data"]["order_id"] in orders)

    alone = [confirmed_order(customer, (product, 1))["id"] for _ in range(3)]
    wait_until(lambda: len(delivered(alone)) == 2 * len(alone), what="the healthy endpoint's deliveries, alone")

    dead = endpoints(receiver.url("/dead"), ["order.*"])
    receiver.script("/dead", *[HANG] * 100)
    beside = [confirmed_order(customer, (product, 1))["id"] for _ in range(3)]
    wait_until(lambda: len(delivered(beside)) == 2 * len(beside), what="the healthy endpoint's deliveries")
    on_dead = [d for d in deliveries(admin, dead) if d["order_id"] in beside]
    assert len(on_dead) == 2 * len(beside) and {d["status"] for d in on_dead} == {"pending"}
    print(f"\nevent to arrival at a healthy endpoint: alone {delays(alone)[0]:.3f}-{delays(alone)[-1]:.3f} s,"
          f" beside a dead one {delays(beside)[0]:.3f}-{delays(beside)[-1]:.3f} s")


def test_a_crowd_of_hanging_endpoints_gets_one_attempt_each_and_half_the_pool(admin, receiver, endpoints):
    """Twelve endpoints hang: more than the pool (20) holds at four attempts each. Once each has
    failed, it gets one attempt at a time and the failing ones together at most half the pool
    (CONCURRENCY 20, config.yaml), while a healthy endpoint's event goes out."""
    crowd = [endpoints(receiver.url(f"/hanging-{n}"), ["webhook.test"]) for n in range(12)]
    for n, endpoint in enumerate(crowd):
        receiver.script(f"/hanging-{n}", *[HANG] * 1000)
        send_test(admin, endpoint)
    wait_until(lambda: all(deliveries(admin, endpoint)[0]["attempts"] >= 1 for endpoint in crowd),
               what="a failed attempt to each hanging endpoint")
    failing_from = datetime.now(UTC)
    for endpoint in crowd:
        for _ in range(4):
            send_test(admin, endpoint)
    healthy = endpoints(receiver.url("/healthy"), ["webhook.test"])
    finished(admin, healthy, send_test(admin, healthy)["id"], "succeeded")

    def attempts_since(endpoint) -> list[tuple[float, float]]:
        """(start, end) of the endpoint's attempts started since all of the crowd were failing."""
        spans = []
        for each in deliveries(admin, endpoint):
            for tried in delivery(admin, endpoint, each["id"])["attempt_log"]:
                started = datetime.fromisoformat(tried["started_at"])
                if started >= failing_from:
                    spans.append((started.timestamp(), started.timestamp() + tried["duration_ms"] / 1000))
        return spans

    spans = wait_until(lambda: (found := [attempts_since(endpoint) for endpoint in crowd])
                       and all(len(each) >= 3 for each in found) and found,
                       timeout=60, what="three attempts to each hanging endpoint since they all failed")

    def most_at_once(intervals) -> int:
        edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
        running = peak = 0
        for _, step in edges:  # an end sorts before a start at the same instant
            running += step
            peak = max(peak, running)
        return peak

    assert [most_at_once(each) for each in spans] == [1] * len(crowd)
    assert most_at_once([span for each in spans for span in each]) <= 10


def test_during_a_rotation_both_secrets_sign_then_only_the_new_one(admin, receiver, endpoints):
    endpoint = endpoints(receiver.url("/rotating"), ["webhook.test"])
    old = endpoint["secret"]
    rotated = admin.post(f"/webhooks/{endpoint['id']}/rotate-secret", json={"grace_seconds": 3600}).json()
    assert rotated["secret"] != old and rotated["previous_secret_until"]
    finished(admin, endpoint, send_test(admin, endpoint)["id"], "succeeded")
    [during] = receiver.at("/rotating")
    assert during.verifies_with(rotated["secret"]) and during.verifies_with(old)

    again = admin.post(f"/webhooks/{endpoint['id']}/rotate-secret", json={"grace_seconds": 0}).json()
    finished(admin, endpoint, send_test(admin, endpoint)["id"], "succeeded")
    after = receiver.at("/rotating")[-1]
    assert after.verifies_with(again["secret"]) and not after.verifies_with(rotated["secret"])
    assert "secret" not in admin.get(f"/webhooks/{endpoint['id']}").json()  # shown only when made


def test_failed_deliveries_are_replayed_once_the_receiver_is_back(admin, receiver, endpoints):
    endpoint = endpoints(receiver.url("/down"), ["webhook.test"])
    receiver.script("/down", *[503] * (2 * ATTEMPTS))
    since = datetime.now(UTC).isoformat()
    sent = [send_test(admin, endpoint)["id"] for _ in range(2)]
    for each in sent:
        assert len(finished(admin, endpoint, each, "failed")["attempt_log"]) == ATTEMPTS
    assert {d["id"] for d in deliveries(admin, endpoint, status="failed")} == set(sent)

    replay = admin.post(f"/webhooks/{endpoint['id']}/replay", json={"since": since})
    assert replay.status_code == 200 and replay.json() == {"replayed": 2}
    for each in sent:
        finished(admin, endpoint, each, "succeeded")
    assert sorted(r.headers["webhook-id"] for r in receiver.acknowledged("/down")) == sorted(
        delivery(admin, endpoint, each)["event_id"] for each in sent)
    retried = admin.post(f"/webhooks/{endpoint['id']}/deliveries/{sent[0]}/retry")
    assert_problem(retried, 409)


def test_one_delivery_can_be_retried_by_hand(admin, receiver, endpoints):
    endpoint = endpoints(receiver.url("/by-hand"), ["webhook.test"])
    receiver.script("/by-hand", *[500] * ATTEMPTS)
    sent = send_test(admin, endpoint)
    finished(admin, endpoint, sent["id"], "failed")
    retried = admin.post(f"/webhooks/{endpoint['id']}/deliveries/{sent['id']}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert finished(admin, endpoint, sent["id"], "succeeded")["attempt_log"][-1]["response_status"] == 200


def test_endpoints_are_managed_by_admins_and_bad_ones_refused(admin, customer, receiver, endpoints):
    endpoint = endpoints(receiver.url("/managed"), ["order.*"], description="CRM")
    changed = admin.patch(f"/webhooks/{endpoint['id']}", json={"enabled": False, "event_types": ["invoice.issued"]})
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert changed.json()["event_types"] == ["invoice.issued"]
    listed = admin.get("/webhooks", params={"page_size": 100}).json()["items"]
    assert endpoint["id"] in {each["id"] for each in listed}
    assert_problem(customer.get("/webhooks"), 403)
    assert_problem(admin.post("/webhooks", json={"url": "ftp://127.0.0.1/x", "event_types": ["order.*"]}), 422)
    assert_problem(admin.post("/webhooks", json={"url": receiver.url("/x"), "event_types": ["nothing.*"]}), 422)
    assert_problem(admin.get(f"/webhooks/{uuid.uuid4()}"), 404)


def test_deliveries_to_one_fast_receiver(admin, receiver, endpoints):
    """Measured, not bounded: the rate is printed (README, "Webhooks")."""
    endpoint = endpoints(receiver.url("/fast"), ["webhook.test"], enabled=False)
    count = 200
    sent = [send_test(admin, endpoint)["event_id"] for _ in range(count)]  # queued while disabled
    assert admin.patch(f"/webhooks/{endpoint['id']}", json={"enabled": True}).status_code == 200
    wait_until(lambda: len(receiver.acknowledged("/fast")) >= count, timeout=60, what="every test event")
    received = receiver.acknowledged("/fast")
    assert sorted(r.headers["webhook-id"] for r in received) == sorted(sent)
    arrivals = sorted(r.at for r in received)
    print(f"\n{count} deliveries to one receiver: {count / max(arrivals[-1] - arrivals[0], 1e-6):.0f}/s"
          f" (first to last arrival, {arrivals[-1] - arrivals[0]:.2f} s)")
