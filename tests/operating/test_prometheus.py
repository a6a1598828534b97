"""A real Prometheus (Debian's, `make test-tools`) scrapes the running system with
deploy/prometheus.yml, its targets moved to the test's ports; an order placed through the gateway
shows up in Prometheus' HTTP API, and every dashboard query evaluates."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from plumbing.config import PROJECT_ROOT
from scripts.system import GATEWAY
from tests.e2e.conftest import free_port
from tests.e2e.test_order_saga import place, wait_for_status
from tests.polling import wait_until
from tests.unit.test_monitoring_files import dashboard_queries

SCRAPE_INTERVAL = "1s"
# Dashboard panels that must show data once an order has gone through (the others, e.g. errors by
# outcome, may rightly be empty).
MUST_SHOW = ("Orders per second", "Saga: placement to confirmation", "RPC latency p99", "Outbox backlog (rows unsent)",
             "Dead letters waiting", "Database pool in use")


def scrape_config(make_run) -> dict:
    """deploy/prometheus.yml with the test system's ports."""
    config = yaml.safe_load((PROJECT_ROOT / "deploy" / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = config["global"]["evaluation_interval"] = SCRAPE_INTERVAL
    for job in config["scrape_configs"]:
        for target in job["static_configs"]:
            target["targets"] = [f"127.0.0.1:{make_run.metrics_ports[target['labels']['process']]}"]
    return config


@pytest.fixture(scope="module")
def prometheus(make_run):
    data_dir = Path(tempfile.mkdtemp(prefix="oms-prometheus-"))
    (data_dir / "prometheus.yml").write_text(yaml.safe_dump(scrape_config(make_run)))
    url = f"http://127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        ["prometheus", f"--config.file={data_dir / 'prometheus.yml'}", f"--storage.tsdb.path={data_dir / 'data'}",
         f"--web.listen-address={url.removeprefix('http://')}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _ready(url), 60, interval=0.3, what="Prometheus to be ready")
        yield url
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(data_dir, ignore_errors=True)


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


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
        return targets == {name: "1" for name in make_run.metrics_ports}

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
