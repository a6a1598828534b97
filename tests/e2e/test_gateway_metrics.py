"""The gateway's /metrics (gateway/metrics.py) under gunicorn, on its own port: every worker's
requests add up, labelled by route (the URL rule), method and status; the API's port has none."""

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import assert_problem

COUNT = "oms_http_request_duration_seconds_count"


def requests_counted(system) -> dict[tuple, float]:
    body = requests.get(f"http://127.0.0.1:{system.env['GATEWAY_METRICS_PORT']}/metrics", timeout=5).text
    return {
        (sample.labels["route"], sample.labels["method"], sample.labels["status"]): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == COUNT
    }


def test_requests_of_every_worker_are_counted_by_route_method_and_status(system, anonymous, product):
    before = requests_counted(system)
    for _ in range(20):  # a new connection each: gunicorn's two workers share them
        assert anonymous.get(f"/products/{product['id']}").status_code == 200
    assert anonymous.get("/no/such/route").status_code == 404
    assert anonymous.post("/auth/login", json={"email": "x"}).status_code == 422

    after = requests_counted(system)

    def added(route, method, status):
        return after.get((route, method, status), 0) - before.get((route, method, status), 0)

    assert added("/api/v1/products/<product_id>", "GET", "200") == 20
    assert added("unmatched", "GET", "404") == 1
    assert added("/api/v1/auth/login", "POST", "422") == 1
    assert not [route for route, _, _ in after if product["id"] in route]  # never the raw path


def test_the_public_port_serves_no_metrics(system):
    assert_problem(requests.get(f"{system.url}/metrics", timeout=5), 404)
