"""gunicorn settings for the gateway; every value can be overridden by environment."""

import os
from pathlib import Path

bind = f"127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "16"))
graceful_timeout = 10
accesslog = os.environ.get("GATEWAY_ACCESS_LOG") or None
control_socket_disable = True

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
    own (*.db) are removed."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()
