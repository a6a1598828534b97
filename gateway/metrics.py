"""The gateway's Prometheus metrics: requests by route, method and status, with their latency
(`oms_http_request_duration_seconds`; its `_count` is the number of requests), at `/metrics`.

gunicorn runs several worker processes: with PROMETHEUS_MULTIPROC_DIR set (gateway/gunicorn.conf.py
sets it and empties it at start) each worker writes its samples to files there, and `/metrics`,
whichever worker answers, adds up every worker's (prometheus-client's multiprocess mode). Without
it, in a single process (the Flask test client), it serves that process's registry."""

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"  # no route: one series for every unknown path, not one per path

disable_created_metrics()

REQUEST_SECONDS = Histogram(
    "oms_http_request_duration_seconds",
    "HTTP requests answered, by route (the URL rule), method and status.",
    ["route", "method", "status"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def instrument(app: Flask) -> None:
    """Time every request and serve `/metrics`. Call before any other `before_request` is
    registered, so requests those answer early (429, 400) are counted too."""
    registry = _registry()

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

    @app.get(METRICS_PATH)
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _registry():
    if not os.environ.get(MULTIPROC_DIR_VARIABLE):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry

