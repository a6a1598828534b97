"""gunicorn settings for the gateway; every value can be overridden by environment, TLS by
config.yaml's GATEWAY.TLS_CERT / TLS_KEY (GATEWAY_TLS_CERT, GATEWAY_TLS_KEY), the metrics port by
METRICS.HOST / PORTS.gateway (METRICS_HOST, GATEWAY_METRICS_PORT)."""

import logging
import os
from pathlib import Path

from plumbing.config import load_config, project_path

bind = f"127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "16"))
graceful_timeout = 10
accesslog = os.environ.get("GATEWAY_ACCESS_LOG") or None
control_socket_disable = True
# The longest request line gunicorn takes (its maximum): longer is its own plain 400. Up to it, a
# query value over gateway/request_limits.py's MAX_FIELD_CHARS is the app's 400 problem.
limit_request_line = 8190

# Workers write their metrics to files here (gateway/metrics.py); set before any worker imports
# prometheus-client, one directory per port so two gateways never add up each other's.
METRICS_DIR = Path(
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        str(Path(__file__).resolve().parent.parent / "var" / "prometheus" / f"gateway-{bind.rsplit(':', 1)[1]}"),
    )
)


def on_starting(server):
    """Files a previous run left would be added to this run's counts: only prometheus-client's
    own (*.db) are removed. gunicorn's own lines (workers booting, timing out) are counted as
    the app's are (oms_log_lines_total)."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()
    from plumbing.logs import LineCounter  # here: after PROMETHEUS_MULTIPROC_DIR, as the metrics

    logging.getLogger("gunicorn.error").addHandler(LineCounter())


def when_ready(server):
    """The master serves the workers' metrics on their own port, never the API's: it outlives
    any worker, and it reads every worker's files (gateway/metrics.py)."""
    from gateway import metrics  # here: prometheus-client must see PROMETHEUS_MULTIPROC_DIR first

    settings = _config["METRICS"]
    port = settings["PORTS"].get("gateway")
    if port not in (None, ""):
        _metrics_server.append(metrics.serve(settings["HOST"], int(port)))
        server.log.info("metrics of the gateway on http://%s:%d/metrics", *_metrics_server[0].server_address[:2])


def post_fork(server, worker):
    """A worker doesn't keep the master's metrics socket: after a `kill -9` of the master, its
    orphaned workers, still finishing, held the port, and the next master failed to bind it."""
    for metrics_server in _metrics_server:
        metrics_server.socket.close()


_metrics_server = []  # the master's, once ready


_config = load_config()
_tls = _config["GATEWAY"]
if _tls["TLS_CERT"] and _tls["TLS_KEY"]:
    certfile = str(project_path(_tls["TLS_CERT"]))
    keyfile = str(project_path(_tls["TLS_KEY"]))

if os.environ.get("LOG_FORMAT") == "json":
    # gunicorn's own lines (start, workers, signals) in the app's format too: one JSON object a line.
    from plumbing.logs import set_service_name

    set_service_name("gateway")
    _logging = _config["LOGGING"]
    _gunicorn = {"level": "INFO", "handlers": ["console"], "propagate": False}
    logconfig_dict = {**_logging, "loggers": {**_logging["loggers"], "gunicorn.error": _gunicorn}}
