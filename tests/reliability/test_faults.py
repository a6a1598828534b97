"""The fault scenarios of issue 4 (8, of issue 14: batches; 9, of issue 24: a capture).
Each drives orders through the gateway from a few threads, injects its fault (always undone in a
`finally`), lets the system settle and asserts that nothing was lost or done twice and that every
invariant holds (see conftest.conclude)."""

import signal
import subprocess
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

from operations.session import proxy
from plumbing.handlers import ATTEMPTS
from plumbing.migrations import database_urls
from plumbing.redis_store import connect
from scripts.system import SERVICES
from tests.conftest import TEST_VHOST
from tests.e2e.conftest import PASSWORD, assert_problem, login
from tests.e2e.test_order_saga import place
from tests.events import publish_event
from tests.reliability.conftest import (
    RESERVATION_TTL,
    RPC_TIMEOUT,
    Attempt,
    Load,
    conclude,
    dead_processes,
    final_states,
    query_once,
    shoppers,
    stocked_product,
    wait_for,
)
from tests.tokens import ADMIN
from tests.webhook_receiver import start_receiver, stop_receiver

NO_HANG_SECONDS = RPC_TIMEOUT + 2
# How orders says it cancelled an order whose reservation lapsed before it was paid.
LAPSED_REASONS = ("payment failed: reservation_expired", "reservation expired",
                  "paid after its reservation was released")
PG_VERSION = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
               "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def recovered_after(load: Load, since: float, timeout: float = 90) -> float:
    """Seconds from `since` until an order placed after it was accepted."""
    def first():
        done = [a for a in load.during(since, float("inf")) if a.status == 201]
        return min(a.started + a.elapsed for a in done) if done else None

    return wait_for(first, timeout, "an order accepted after the fault was undone") - since


def kill_and_restart(system, load: Load, service: str) -> float:
    load.wait_for_orders(15)
    system.stop(service, sig=signal.SIGKILL)
    try:
        time.sleep(2)  # orders keep coming while it is dead
    finally:
        system.start_service(service)
    restarted = time.monotonic()
    recovery = recovered_after(load, restarted)
    load.wait_for_orders(len(load.accepted) + 15)
    return recovery


def test_1_kill_9_orders_while_orders_are_placed(system, admin, new_customer, config):
    load = Load(shoppers(new_customer), stocked_product(admin), max_seconds=60)
    with load:
        recovery = kill_and_restart(system, load, "orders")
    conclude("1 kill -9 orders", "SIGKILL to orders mid-load, restarted after 2 s", load, admin, config, recovery)


def test_2_kill_9_payments_with_events_in_flight(system, admin, new_customer, config):
    load = Load(shoppers(new_customer), stocked_product(admin), max_seconds=60)
    with load:
        recovery = kill_and_restart(system, load, "payments")
    conclude("2 kill -9 payments", "SIGKILL to payments mid-load, restarted after 2 s", load, admin, config, recovery)


def outage_probes(system, shopper, product, seconds: float) -> list[tuple[int, float]]:
    """(status, elapsed) of orders placed by the test itself while a server is down."""
    probes = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            status = place(shopper, product).status_code
        except requests.RequestException:
            status = 0
        probes.append((status, round(time.monotonic() - started, 2)))
    return probes


def assert_no_hang(probes, load: Load, down: float, up: float) -> dict:
    during = [(a.status, a.elapsed) for a in load.during(down, up) if a.started + a.elapsed <= up]
    slowest = max(elapsed for _, elapsed in probes + during)
    print(f"during the outage: probes {dict(Counter(status for status, _ in probes))}, "
          f"load {dict(Counter(status for status, _ in during))}, slowest {slowest:.2f} s")
    assert probes, "no request was made during the outage"
    assert all(status == 503 for status, _ in probes), probes
    assert slowest < NO_HANG_SECONDS, f"a request took {slowest} s during the outage: {probes}"
    return {"outage_probes": probes, "slowest_request_during_outage": slowest}


def outage_during_load(system, admin, new_customer, stop, start, check_after=None) -> tuple[Load, float, dict]:
    """Orders flowing, then `stop` a server for 3 s of probes and `start` it again; returns the
    load, the recovery time and what the outage looked like. `check_after` runs once it is back."""
    customers = shoppers(new_customer)
    product = stocked_product(admin)
    load = Load(customers, product, max_seconds=90, max_orders=800)
    with load:
        load.wait_for_orders(15)
        down = time.monotonic()
        try:
            stop()
            probes = outage_probes(system, customers[0], product, 3)
        finally:
            start()
        up = time.monotonic()
        extra = assert_no_hang(probes, load, down, up)
        if check_after is not None:
            check_after()
        recovery = recovered_after(load, up)
        load.wait_for_orders(len(load.accepted) + 15)
    extra["outage_seconds"] = round(up - down, 2)
    return load, recovery, extra


def test_3_rabbitmq_restarted_during_load(system, admin, new_customer, config):
    def start():
        run("rabbitmqctl", "-q", "start_app")
        run("rabbitmqctl", "-q", "await_startup")

    def nothing_lost_with_the_broker():
        vhosts = subprocess.run(["rabbitmqctl", "-q", "list_vhosts", "name"], capture_output=True, text=True)
        assert TEST_VHOST in vhosts.stdout.split(), "the vhost is gone after start_app"
        died = dead_processes(system)
        assert not died, f"processes died when the broker went away: {died}:\n" + "\n".join(
            system.log_tail(name, 6) for name in died)

    load, recovery, extra = outage_during_load(
        system, admin, new_customer, lambda: run("rabbitmqctl", "-q", "stop_app"), start, nothing_lost_with_the_broker
    )
    conclude("3 RabbitMQ restarted", "rabbitmqctl stop_app, 3 s of requests, start_app", load, admin, config,
             recovery, extra)


def test_3b_an_idle_gateway_serves_every_request_once_rabbitmq_is_back(system, admin, new_customer, config):
    """RabbitMQ restarted while nothing is asked (issue 22, point 7): once the broker and every
    service's consumer are back, every request succeeds. The gateway's pooled proxies all lost
    their connections with the broker; 22 requests in a row once drew one each and got a 503."""
    customer = shoppers(new_customer, count=1)[0]
    product = stocked_product(admin)
    with ThreadPoolExecutor(8) as callers:  # several idle proxies in each gateway worker
        assert set(callers.map(lambda _: customer.get("/orders").status_code, range(40))) == {200}
    try:
        run("rabbitmqctl", "-q", "stop_app")
    finally:
        run("rabbitmqctl", "-q", "start_app")
        run("rabbitmqctl", "-q", "await_startup")
    wait_for(lambda: all(queue_counts(f"rpc-{service}", "consumers")[0] >= 1 for service in SERVICES), 90,
             "every service consuming its RPC queue again")
    answers = []
    for _ in range(10):
        answers += [requests.get(f"{system.url}/readyz", timeout=15).status_code, customer.get("/orders").status_code,
                    place(customer, product).status_code]
    print(f"after the restart: {dict(Counter(answers))}")
    assert set(answers) <= {200, 201}, Counter(answers)


def test_4_postgresql_restarted_during_load(system, admin, new_customer, config):
    def start():
        run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "start")
        wait_for(lambda: subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0, 30, "pg")

    load, recovery, extra = outage_during_load(
        system,
        admin,
        new_customer,
        lambda: run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "stop", "-m", "fast"),
        start,
    )
    conclude("4 PostgreSQL restarted", f"pg_ctlcluster {PG_VERSION} main stop -m fast, 3 s of requests, start",
             load, admin, config, recovery, extra)


def acl_users(admin_uri: str) -> list[list[str]]:
    """Every ACL user of the machine's Redis but the default one, as ACL SETUSER arguments
    (passwords as their hashes)."""
    admin = connect(admin_uri)
    try:
        return [line.split()[1:] for line in admin.acl_list() if not line.startswith("user default ")]
    finally:
        admin.close()


def restore_acl_users(admin_uri: str, users: list[list[str]]) -> None:
    admin = connect(admin_uri)
    try:
        for rules in users:
            admin.execute_command("ACL", "SETUSER", *rules)
    finally:
        admin.close()


@contextmanager
def redis_stopped(config):
    """Redis shut down (nothing saved) for the block, then started as scripts/infra.sh does, with
    the ACL users it had (every suite's on this machine): a production Redis keeps them in its ACL
    file, this one has none."""
    admin_uri = config["REDIS"]["ADMIN_URI"]
    users = acl_users(admin_uri)
    try:
        run("redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave")
        wait_for(lambda: subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0, 10, "down")
        yield
    finally:
        Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
        Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
        run(*REDIS_START)
        wait_for(lambda: subprocess.run(["redis-cli", "ping"], capture_output=True, text=True).stdout.strip()
                 == "PONG", 20, "Redis back")
        restore_acl_users(admin_uri, users)


def test_5_redis_stopped(system, admin, anonymous, new_customer, config):
    user, tokens, customer = new_customer("Redisless")
    product = stocked_product(admin)
    load = Load(shoppers(new_customer), product, max_seconds=60)
    with load:
        load.wait_for_orders(10)
        down = time.monotonic()
        with redis_stopped(config):
            # Product reads bypass the cache.
            read = customer.get(f"/products/{product['id']}")
            listed = customer.get("/products")
            # Rate limiting fails open (README): failed logins past the limit are not blocked.
            wrong = [anonymous.post("/auth/login", json={"email": user["email"], "password": "wrong-password!!"})
                     .status_code for _ in range(12)]
            placed = place(customer, product)
            login_status = anonymous.post("/auth/login", json={"email": user["email"], "password": PASSWORD})
            redis_down_seconds = time.monotonic() - down
        up = time.monotonic()
        recovery = recovered_after(load, up)
    extra = {"product_read": read.status_code, "product_list": listed.status_code, "failed_login_statuses": wrong,
             "order_during_outage": placed.status_code, "login_during_outage": login_status.status_code,
             "redis_down_seconds": round(redis_down_seconds, 2)}
    print(extra)
    assert read.status_code == 200 and read.json()["id"] == product["id"], read.text
    assert listed.status_code == 200, listed.text
    assert wrong == [401] * 12, wrong  # fail open: no 429 without Redis
    assert placed.status_code == 201, placed.text
    # Redis is back: login and refresh work again.
    fresh = login(anonymous, user["email"], PASSWORD)
    assert anonymous.post("/auth/refresh", json={"refresh_token": fresh["refresh_token"]}).status_code == 200
    conclude("5 Redis stopped", "redis-cli shutdown nosave, then redis-server as in scripts/infra.sh", load, admin,
             config, recovery, extra)




def test_5b_login_works_and_refresh_is_a_clear_503_without_redis(system, anonymous, new_customer, config):
    user, tokens, _ = new_customer("Tokenless")
    with redis_stopped(config):
        logged_in = anonymous.post("/auth/login", json={"email": user["email"], "password": PASSWORD})
        refresh = anonymous.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    print(f"without Redis: login {logged_in.status_code} {logged_in.text[:200]}; "
          f"refresh {refresh.status_code} {refresh.text[:200]}")
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["access_token"] and logged_in.json()["refresh_token"] is None
    body = assert_problem(refresh, 503)
    assert body["detail"], body


PAYMENTS_QUEUE = "evt-orders-order_created--payments.handle_order_created"


def queue_counts(queue: str, *columns: str) -> list[int]:
    """`columns` of rabbitmqctl list_queues (e.g. consumers, messages_ready) of the test vhost's
    queue named `queue`."""
    listed = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", TEST_VHOST, "name", *columns],
                            check=True, capture_output=True, text=True).stdout.split("\n")
    rows = [row.split() for row in listed if row.split() and row.split()[0] == queue]
    return [sum(int(row[i + 1]) for row in rows) for i in range(len(columns))]


@contextmanager
def payments_backlog(system, at_least: int):
    """payments stopped while orders keep coming, so their order_created wait in its queue;
    yields once `at_least` wait, and starts payments again when the block ends. Its workers then
    take them in batches (plumbing/event_batches.py)."""
    system.stop("payments")
    try:
        wait_for(lambda: queue_counts(PAYMENTS_QUEUE, "messages_ready")[0] >= at_least, 60,
                 f"{at_least} order_created waiting for payments")
        yield
    finally:
        system.start_service("payments")


def reservation_lapsed(admin, order_id: str) -> bool:
    """Whether the order was cancelled because its reservation lapsed before it was paid."""
    history = admin.get(f"/orders/{order_id}/history").json()["items"]
    [cancelled] = [entry for entry in history if entry["to_status"] == "cancelled"]
    return cancelled["reason"] in LAPSED_REASONS


def test_6_a_poison_message_goes_to_dead_letters_and_orders_keep_flowing(system, admin, new_customer, config):
    event_id = str(uuid.uuid4())
    # order_created with a negative total: fails its schema in payments, so no retry can fix it.
    poison = {"event_id": event_id, "event_type": "order_created", "version": 1,
              "occurred_at": datetime.now(UTC).isoformat(), "order_id": str(uuid.uuid4()),
              "user_id": str(uuid.uuid4()), "total": "-5.00", "currency": "EUR", "payment_token": "tok_visa",
              "items": [{"product_id": str(uuid.uuid4()), "quantity": 1}]}
    load = Load(shoppers(new_customer), stocked_product(admin), max_seconds=120, max_orders=2000)
    with load:
        load.wait_for_orders(10)
        # In the middle of a backlog, so that it reaches payments in a batch with other orders.
        with payments_backlog(system, at_least=15):
            before = len(load.accepted)
            publish_event(config, "orders", "order_created", poison)
            load.wait_for_orders(before + 15)
            [backlog] = queue_counts(PAYMENTS_QUEUE, "messages_ready")
        sent = time.monotonic()
        with proxy(config, ADMIN.token, timeout=10) as rpc:
            def dead_letter():
                items = rpc.payments.list_dead_letters(page_size=100)["items"]
                return next((item for item in items if item["event_id"] == event_id), None)

            dead = wait_for(dead_letter, 60, "the poison message in payments' dead letters")
            parked = time.monotonic() - sent
            after = len(load.accepted)
            load.wait_for_orders(after + 20)
            rpc.payments.discard_dead_letter(dead["id"])
    around = load.accepted[max(0, before - 15):after]  # those that waited with it, before and after it
    states = final_states(admin, around)
    # payments was stopped for as long as the backlog took to build: on a slow machine the first
    # of it outlive their reservation (RESERVATION_TTL), and such an order is cancelled, as
    # documented. Every other one must be confirmed, the poison's batch-mates among them.
    lapsed = {order_id for order_id, state in states.items()
              if state == "cancelled" and reservation_lapsed(admin, order_id)}
    assert {state for order_id, state in states.items() if order_id not in lapsed} == {"confirmed"}, states
    assert 0 <= dead["attempts"] <= ATTEMPTS, dead
    extra = {"dead_letter": {k: dead[k] for k in ("handler", "attempts", "event_type")},
             "dead_letter_error": dead["error"][:200], "backlog_with_the_poison": backlog,
             "seconds_to_dead_letter": round(parked, 2), "orders_around_the_poison": len(around),
             "of_them_cancelled_as_their_reservation_lapsed": len(lapsed)}
    conclude("6 poison message", "order_created with total -5.00 published to payments amid a backlog", load,
             admin, config, None, extra)


def test_7_two_instances_of_orders_products_and_payments(system, admin, new_customer, config):
    doubled = ("orders", "products", "payments")
    customers = shoppers(new_customer)
    product = stocked_product(admin)
    try:
        for service in doubled:
            system.start_service(service, instance=f"{service}-2")
        for service in doubled:
            wait_for(lambda s=service: queue_counts(f"rpc-{s}", "consumers")[0] >= 2, 60,
                     f"two {service} instances consuming")
        load = Load(customers, product, max_seconds=60, max_orders=300)
        with load:
            load.wait_for_orders(150, timeout=60)
        # Some orders whose payment never comes: both expiry timers race to cancel them.
        system.stop("payments")
        system.stop("payments-2")
        try:
            unpaid = [place(customers[0], product).json()["id"] for _ in range(5)]
            expired = final_states(admin, unpaid, timeout=RESERVATION_TTL + 30)
        finally:
            system.start_service("payments")
            system.start_service("payments", instance="payments-2")
        restarted = time.monotonic()
        probe = place(customers[1], product)
        assert probe.status_code == 201, probe.text
        wait_for(lambda: admin.get(f"/orders/{probe.json()['id']}").json()["status"] == "confirmed", 90,
                 "an order placed after payments restarted to be confirmed")
        recovery = time.monotonic() - restarted
        load.attempts += [Attempt(restarted, 0, 201, order_id) for order_id in [*unpaid, probe.json()["id"]]]
        assert set(expired.values()) == {"cancelled"}, expired
        cancellations = {
            order_id: [h["to_status"] for h in admin.get(f"/orders/{order_id}/history").json()["items"]].count(
                "cancelled"
            )
            for order_id in unpaid
        }
        extra = {"instances": [f"{s}-2" for s in doubled], "expired_orders": len(unpaid),
                 "cancelled_entries_per_expired_order": sorted(set(cancellations.values()))}
        assert all(count == 1 for count in cancellations.values()), cancellations
        conclude("7 two instances each", "orders-2, products-2, payments-2; payments stopped for one TTL", load,
                 admin, config, recovery, extra)
    finally:
        for service in doubled:
            if f"{service}-2" in system.processes:
                system.stop(f"{service}-2")
        for service in doubled:
            if service not in system.processes:
                system.start_service(service)


def test_8_kill_9_payments_in_the_middle_of_a_large_batch(system, admin, new_customer, config):
    load = Load(shoppers(new_customer), stocked_product(admin), max_seconds=150, max_orders=3000)
    with load:
        load.wait_for_orders(10)
        with payments_backlog(system, at_least=60):
            pass
        # Its first batches are under way once many messages are delivered and not acked yet.
        [in_flight] = wait_for(lambda: [n for n in queue_counts(PAYMENTS_QUEUE, "messages_unacknowledged")
                                        if n >= 20], 60, "payments holding 20 order_created or more")
        system.stop("payments", sig=signal.SIGKILL)
        system.start_service("payments")
        restarted = time.monotonic()
        wait_for(lambda: sum(queue_counts(PAYMENTS_QUEUE, "messages_ready", "messages_unacknowledged")) <= 10, 90,
                 "payments' backlog handled")
        recovery = time.monotonic() - restarted
        load.wait_for_orders(len(load.accepted) + 15)
    conclude("8 kill -9 payments mid-batch", "payments stopped for a backlog of 60+ order_created, restarted, "
             "SIGKILL while 20+ were delivered and unacked, restarted", load, admin, config, recovery,
             {"unacked_at_kill": in_flight})


def ship_everything(admin, order_id: str, key: str) -> requests.Response:
    """One parcel of everything the order holds, under `key` (issue 24's shipments); the same key
    sends the same body."""
    order = admin.get(f"/orders/{order_id}").json()
    body = {"items": [{"product_id": i["product_id"], "quantity": i["quantity"]} for i in order["items"]],
            "carrier": "DHL", "tracking_number": f"JD{key[:12]}"}
    return admin.post(f"/orders/{order_id}/shipments", json=body, headers={"Idempotency-Key": key})


def capture_operations(config, order_id: str) -> list[tuple]:
    """(type, reference, status) of the order's capture operations in payments' database."""
    return [tuple(row) for row in query_once(
        database_urls(config)["payments"],
        "SELECT type, reference, status FROM payment_operations WHERE order_id = :order_id AND type = 'capture'",
        order_id=order_id,
    )]


def capture_held_uncommitted(config) -> bool:
    """Whether payments sits in a transaction that has taken an invoice number and not committed:
    the capture asked of the provider and recorded, payment_captured not yet in its outbox."""
    return bool(query_once(
        database_urls(config)["payments"],
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'"
        " AND query LIKE 'INSERT INTO document_counters%'",
    ))


def test_9_kill_9_payments_between_a_capture_and_its_event(system, admin, new_customer, config):
    """Issue 24: payments is killed after the provider captured a parcel's amount and before the
    capture, its invoice and payment_captured commit. Orders keeps the shipment `capturing` (503
    to the admin); asked again (its timer, or the admin's retry with the same key), payments finds
    the capture it requested and asks the provider again under the same idempotency key. The
    shipment ships, captured exactly once; nothing is left uncaptured."""
    # Bounds for a hung run only: the load must outlive the recovery (timer included), however
    # fast the machine places orders meanwhile, for the orders after it to be seen accepted.
    load = Load(shoppers(new_customer), stocked_product(admin), max_seconds=400, max_orders=20000)
    with load:
        load.wait_for_orders(10)
        [order_id] = load.accepted[:1]
        final_states(admin, [order_id])
        assert admin.get(f"/orders/{order_id}").json()["status"] == "confirmed"
        system.stop("payments")
        # The only payments now sleeps once it has numbered an invoice, before committing it.
        system.start_service("payments", instance="payments-paused", env={"INVOICING_PAUSE_AFTER_NUMBERING": "60"})
        key = uuid.uuid4().hex
        try:
            wait_for(lambda: queue_counts("rpc-payments", "consumers")[0] == 1, 60, "the paused payments consuming")
            first = ship_everything(admin, order_id, key)
            assert first.status_code == 503, first.text  # orders gave up waiting; the shipment is capturing
            wait_for(lambda: capture_held_uncommitted(config), 60, "payments holding the capture uncommitted")
            [(_, shipment_id, requested)] = capture_operations(config, order_id)
            assert requested == "requested"  # committed aside before the provider was asked
            system.stop("payments-paused", sig=signal.SIGKILL)
        finally:
            if "payments-paused" in system.processes:
                system.stop("payments-paused", sig=signal.SIGKILL)
            system.start_service("payments")
        restarted = time.monotonic()
        # Nobody asks again here: orders' finish_pending_shipments must complete the shipment.
        shipped = wait_for(
            lambda: next((s for s in admin.get(f"/orders/{order_id}/shipments").json()
                          if s["id"] == shipment_id and s["status"] == "shipped"), None),
            120, "the shipment completed by orders' timer",
        )
        recovery = time.monotonic() - restarted
        replay = ship_everything(admin, order_id, key)
        load.wait_for_orders(len(load.accepted) + 15)
    assert replay.status_code == 201 and replay.json()["id"] == shipment_id, replay.text
    assert capture_operations(config, order_id) == [("capture", shipment_id, "succeeded")]
    payment = admin.get(f"/orders/{order_id}/payment").json()
    assert payment["captured"] == shipped["amount"] == payment["authorized"], payment
    assert shipped["invoice_number"] is not None
    conclude("9 kill -9 payments mid-capture", "SIGKILL to payments after the provider captured a parcel, before "
             "its commit; restarted", load, admin, config, recovery,
             {"seconds_until_the_shipment_shipped": round(recovery, 2), "invoice": shipped["invoice_number"]})


def test_10_kill_9_webhooks_in_the_middle_of_deliveries(system, admin, new_customer, config):
    """Issue 26: webhooks is killed while it delivers the order events of a load to a receiver on
    loopback, and restarted. Every order event of the accepted orders reaches the receiver, signed;
    an event it acknowledged more than once was one whose answer came before the kill (the process
    died before recording it): nothing acknowledged after the restart is sent again."""
    receiver = start_receiver()
    created = admin.post("/webhooks", json={"url": receiver.url("/erp"), "event_types": ["order.*"]})
    assert created.status_code == 201, created.text
    endpoint = created.json()
    try:
        load = Load(shoppers(new_customer), stocked_product(admin), max_seconds=60)
        with load:
            wait_for(lambda: len(receiver.acknowledged("/erp")) >= 20, 60, "20 deliveries before the kill")
            system.stop("webhooks", sig=signal.SIGKILL)
            time.sleep(2)  # orders keep coming while it is dead
            system.start_service("webhooks")
            load.wait_for_orders(len(load.accepted) + 15)
        conclude("10 kill -9 webhooks", "SIGKILL to webhooks mid-deliveries, restarted after 2 s", load, admin,
                 config, None)
        orders = list(load.accepted)

        def published() -> set[str]:
            return {row[0] for row in query_once(
                database_urls(config)["orders"],
                "SELECT payload->>'event_id' FROM outbox WHERE event_type LIKE 'order\\_%'"
                " AND payload->>'order_id' = ANY(:orders)", orders=orders)}

        def acknowledged() -> Counter:
            return Counter(r.headers["webhook-id"] for r in receiver.acknowledged("/erp"))

        wait_for(lambda: published() <= set(acknowledged()), 90, "every order event of the load delivered")
        sent = acknowledged()
        repeated = [event_id for event_id, count in sent.items() if count > 1]
        # Every attempt is recorded, but one the kill cut between the answer and its record: so an
        # event arrives at most once more than its recorded attempts, and only an attempt under
        # way at the kill goes unrecorded (at most one pool of them). The receiver's clock can't
        # tell: on a loaded machine it may read a request sent before the kill only after it.
        recorded = dict(query_once(
            database_urls(config)["webhooks"],
            "SELECT d.event_id, count(a.id) FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id"
            " WHERE d.event_id = ANY(:ids) GROUP BY d.event_id", ids=repeated)) if repeated else {}
        unrecorded = {event_id: sent[event_id] - recorded.get(event_id, 0) for event_id in repeated}
        assert all(count <= 1 for count in unrecorded.values()), f"sent again beyond the kill: {unrecorded}"
        assert len(repeated) <= int(config["WEBHOOKS"]["CONCURRENCY"]), repeated
        assert all(r.verifies_with(endpoint["secret"]) for r in receiver.acknowledged("/erp"))
        print(f"webhooks: {len(published())} order events delivered, {len(repeated)} sent again"
              " (acknowledged just before the kill, not yet recorded)")
    finally:
        admin.delete(f"/webhooks/{endpoint['id']}")
        stop_receiver(receiver)
