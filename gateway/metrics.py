"""The gateway's Prometheus metrics: requests by route, method and status, with their latency
(`oms_http_request_duration_seconds`; its `_count` is the number of requests), served at
`/metrics` on a port of their own (config METRICS.PORTS.gateway), never on the API's.

gunicorn runs several worker processes: with PROMETHEUS_MULTIPROC_DIR set (gateway/gunicorn.conf.py
sets it and empties it at start) each worker writes its samples to files there, and the metrics
server, which gunicorn's master process runs (`serve`, from the `when_ready` hook), adds up every
worker's (prometheus-client's multiprocess mode)."""

import os
import time
from wsgiref.simple_server import WSGIServer

from flask import Flask, g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    multiprocess,
    start_http_server,
)

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # no route: one series for every unknown path, not one per path

disable_created_metrics()

REQUEST_SECONDS = Histogram(
    "oms_http_request_duration_seconds",
    "HTTP requests answered, by route (the URL rule), method and status.",
    ["route", "method", "status"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def instrument(app: Flask) -> None:
    """Time every request. Call before any other `before_request` is registered, so requests
    those answer early (429, 400) are counted too."""

    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
            REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response


def serve(host: str, port: int) -> WSGIServer:
    """Serve every worker's metrics at http://host:port/metrics from this process (a thread); the
    server (its server_address: port 0 picks a free one)."""
    registry = REGISTRY
    if os.environ.get(MULTIPROC_DIR_VARIABLE):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        ProcessCollector(registry=registry)  # the master's: its start time shows a restart (deploy/alerts.yml)
    server, _ = start_http_server(port, host, registry=registry)
    return server
