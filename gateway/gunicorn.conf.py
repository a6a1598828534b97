"""gunicorn settings for the gateway; every value can be overridden by environment."""

import os

bind = f"127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("GATEWAY_THREADS", "16"))
graceful_timeout = 10
accesslog = os.environ.get("GATEWAY_ACCESS_LOG") or None
control_socket_disable = True
