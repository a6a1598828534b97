"""A webhook receiver for Alertmanager that prints each alert it is sent: what `make monitor`
routes alerts to (deploy/alertmanager.yml), and what the e2e test listens with. In production
Alertmanager's webhook points at a pager or a chat instead.

    python -m scripts.alert_receiver [port]      # default 9095, POST /alerts

Alertmanager posts a notification per group: {"status", "alerts": [{"status", "labels",
"annotations", "startsAt", "endsAt", ...}], ...} (its webhook format, version 4)."""

import json
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORT = 9095
PATH = "/alerts"


def describe(alert: dict) -> str:
    """One line: status, name, severity, summary."""
    labels = alert.get("labels", {})
    summary = alert.get("annotations", {}).get("summary", "")
    return f"[{alert.get('status', '?')}] {labels.get('alertname', '?')} ({labels.get('severity', '-')}): {summary}"


class AlertReceiver:
    """Serves POST /alerts on 127.0.0.1:port (0: a free one) in a thread; each notification's body
    is kept in `received` and handed to `on_notification`."""

    def __init__(self, port: int = DEFAULT_PORT, on_notification: Callable[[dict], None] | None = None):
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                if self.path != PATH:
                    self.send_error(404)
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                receiver.received.append(body)
                if on_notification is not None:
                    on_notification(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                pass  # one line per alert is printed instead of one per request

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{PATH}"

    def alerts(self) -> list[dict]:
        """Every alert received so far, oldest first."""
        return [alert for notification in self.received for alert in notification["alerts"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def print_alerts(notification: dict) -> None:
    for alert in notification["alerts"]:
        print(f"alert {describe(alert)}", flush=True)
        print(f"      {json.dumps(alert, sort_keys=True)}", flush=True)


if __name__ == "__main__":
    receiver = AlertReceiver(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PORT, print_alerts)
    print(f"receiving alerts at {receiver.url}", flush=True)
    threading.Event().wait()
