"""A real Prometheus (Debian's, `make test-tools`) scrapes the running system with
deploy/prometheus.yml, its targets moved to the test's ports (the package's `monitoring`), the
broker's queues too; an order placed through the gateway shows up in Prometheus' HTTP API, and
every dashboard query evaluates."""


import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from scripts.system import GATEWAY
from tests.e2e.test_order_saga import place, wait_for_status
from tests.polling import wait_until
from tests.unit.test_monitoring_files import dashboard_queries

# Dashboard panels that must show data once an order has gone through (the others, e.g. errors by
# outcome, may rightly be empty).
MUST_SHOW = ("Orders per second", "Saga: placement to confirmation", "RPC latency p99", "Outbox backlog (rows unsent)",
             "Dead letters waiting", "Database pool in use", "Log lines by level")


@pytest.fixture(scope="module")
def prometheus(monitoring) -> str:
    return monitoring.prometheus


def query(prometheus: str, expr: str) -> list[dict]:
    body = requests.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert body["status"] == "success", (expr, body)
    return body["data"]["result"]


def scalar(prometheus: str, expr: str) -> float:
    result = query(prometheus, expr)
    return float(result[0]["value"][1]) if result else 0.0


PLACED = ("orders", "oms_rpc_duration_seconds_count", {"service": "orders", "method": "create_order", "outcome": "ok"})
PLACED_AT_GATEWAY = (GATEWAY, "oms_http_request_duration_seconds_count",
                     {"route": "/api/v1/orders", "method": "POST", "status": "201"})
CONFIRMED = ("orders", "oms_order_confirmation_seconds_count", {})


def promql(name: str, labels: dict) -> str:
    return "sum(" + name + "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "})"


def at_the_source(make_run, process: str, name: str, labels: dict) -> float:
    """The value the process itself exports right now (what Prometheus will see next scrape)."""
    body = requests.get(f"http://127.0.0.1:{make_run.metrics_ports[process]}/metrics", timeout=5).text
    return sum(sample.value for family in text_string_to_metric_families(body) for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


def test_prometheus_scrapes_the_gateway_and_every_service(prometheus, make_run):
    def all_up():
        targets = {row["metric"]["process"]: row["value"][1] for row in query(prometheus, "up")}
        return targets == {name: "1" for name in [*make_run.metrics_ports, "rabbitmq"]}

    wait_until(all_up, 30, interval=0.5, what="every target up")


def test_an_order_placed_through_the_gateway_is_counted_in_prometheus(prometheus, make_run, customer, product):
    series = (PLACED, PLACED_AT_GATEWAY, CONFIRMED)
    before = [at_the_source(make_run, *each) for each in series]

    response = place(customer, product)
    assert response.status_code == 201, response.text
    wait_for_status(customer, response.json()["id"], "confirmed")

    for (_, name, labels), was in zip(series, before, strict=True):
        expr = promql(name, labels)
        wait_until(lambda expr=expr, was=was: scalar(prometheus, expr) >= was + 1, 30, interval=0.5, what=expr)


def test_every_dashboard_query_evaluates_and_the_main_panels_show_data(prometheus, customer, product):
    assert place(customer, product).status_code == 201
    queries = dashboard_queries()
    for expr in (expr for exprs in queries.values() for expr in exprs):
        query(prometheus, expr)  # valid PromQL on real series: asserts success
    for title in MUST_SHOW:
        wait_until(lambda title=title: all(query(prometheus, expr) for expr in queries[title]), 30, interval=0.5,
                   what=f"data in panel {title!r}")


def test_every_process_counts_its_log_lines_in_prometheus(prometheus, make_run, anonymous):
    assert anonymous.get("/products").status_code == 200
    def every_process_counted():
        counted = {row["metric"]["process"] for row in query(prometheus, "sum by (process) (oms_log_lines_total)")}
        return counted == set(make_run.metrics_ports)

    wait_until(every_process_counted, 30, interval=0.5, what="log lines of every process")
