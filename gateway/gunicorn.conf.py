"""gunicorn settings for the gateway; every value can be overridden by environment, TLS by
config.yaml's GATEWAY.TLS_CERT / TLS_KEY (GATEWAY_TLS_CERT, GATEWAY_TLS_KEY)."""

import os

from plumbing.config import load_config, project_path

bind = f"127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "16"))
graceful_timeout = 10
accesslog = os.environ.get("GATEWAY_ACCESS_LOG") or None
control_socket_disable = True

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
