"""deploy/prometheus.yml and deploy/grafana/oms.json against what the code exports (the e2e test
in tests/operating runs them on a real Prometheus)."""

import json
import re

import yaml
from prometheus_client import REGISTRY

import gateway.metrics  # noqa: F401 - registers the gateway's series
import notifications.metrics  # noqa: F401 - mail deliveries
import order_queries.lag  # noqa: F401 - the read model's lag
import orders.metrics  # noqa: F401 - the saga's
import plumbing.logs  # noqa: F401 - every process's log lines
import plumbing.metrics  # noqa: F401 - every service's
from plumbing.config import PROJECT_ROOT
from scripts.system import SERVICES

DASHBOARD = json.loads((PROJECT_ROOT / "deploy" / "grafana" / "oms.json").read_text())
SCRAPE = yaml.safe_load((PROJECT_ROOT / "deploy" / "prometheus.yml").read_text())
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "summary": ("_count", "_sum", "")}


def exported_series() -> set[str]:
    """Every sample name the services and the gateway can export (families with no sample yet
    included), from the process's default registry."""
    names = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))  # gauges as named
    return names


def dashboard_queries() -> dict[str, list[str]]:
    return {panel["title"]: [target["expr"] for target in panel["targets"]] for panel in DASHBOARD["panels"]}


def series_in(expr: str) -> set[str]:
    return set(re.findall(r"\b(?:oms|process)_[a-z0-9_]+", expr))


def test_every_series_a_dashboard_query_names_is_exported():
    exported = exported_series()
    for title, exprs in dashboard_queries().items():
        assert exprs, title
        for expr in exprs:
            assert series_in(expr), f"{title}: {expr} names none of our series"
            assert series_in(expr) <= exported, f"{title}: {expr} names {series_in(expr) - exported}"


def test_the_dashboard_has_the_panels_an_operator_needs():
    queries = " ".join(expr for exprs in dashboard_queries().values() for expr in exprs)
    assert 'route="/api/v1/orders",method="POST",status="201"' in queries  # orders per second
    for quantile in ("0.5", "0.99"):
        rpc = "sum by (le, service, method) (rate(oms_rpc_duration_seconds_bucket"
        assert f"histogram_quantile({quantile}, {rpc}" in queries
        assert f"histogram_quantile({quantile}, sum by (le) (rate(oms_order_confirmation_seconds_bucket" in queries
    assert {"oms_outbox_unsent", "oms_outbox_oldest_unsent_age_seconds", "oms_dead_letters", "oms_db_pool_in_use"} <= (
        series_in(queries)
    )
    datasources = {json.dumps(panel["datasource"]) for panel in DASHBOARD["panels"]}
    assert datasources == {json.dumps({"type": "prometheus", "uid": "${datasource}"})}


def test_the_scrape_config_scrapes_the_gateway_and_every_service_on_their_default_ports():
    # The defaults in config.yaml (the tests' environment overrides them).
    ports = dict(re.findall(r"(\w+): \$\{\w+_METRICS_PORT:(\d+)\}", (PROJECT_ROOT / "config.yaml").read_text()))
    jobs = {job["job_name"]: job for job in SCRAPE["scrape_configs"]}
    [gateway] = jobs["oms-gateway"]["static_configs"]
    assert gateway["targets"] == [f"127.0.0.1:{ports['gateway']}"]  # its metrics port, not the API's
    services = {config["labels"]["process"]: config["targets"] for config in jobs["oms-services"]["static_configs"]}
    assert services == {service: [f"127.0.0.1:{ports[service]}"] for service in SERVICES}
