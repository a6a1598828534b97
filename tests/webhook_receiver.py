"""A webhook receiver on loopback for the tests: it verifies every request with the Standard
Webhooks library and records what it acknowledged, per path; a path's script says how it answers
its next requests (a status, or "hang" until the receiver closes)."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

HANG = "hang"


@dataclass
class Received:
    path: str
    headers: dict
    body: str
    at: float  # time.time() when it arrived
    answered: int | str

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    def verifies_with(self, secret: str) -> bool:
        try:
            Webhook(secret).verify(self.body, self.headers)
        except WebhookVerificationError:
            return False
        return True


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    scripts: dict[str, list] = field(default_factory=dict)  # path -> answers for its next requests
    closing: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def script(self, path: str, *answers) -> None:
        """`path` answers its next requests with these (a status or HANG), then 200."""
        with self.lock:
            self.scripts[path] = list(answers)

    def answer_for(self, path: str):
        with self.lock:
            queue = self.scripts.get(path)
            return queue.pop(0) if queue else 200

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [each for each in self.requests if each.path == path]

    def acknowledged(self, path: str) -> list[Received]:
        return [each for each in self.at(path) if each.answered == 200]


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            answer = receiver.answer_for(self.path)
            record = Received(self.path, dict(self.headers.items()), body, time.time(), answer)
            with receiver.lock:
                receiver.requests.append(record)
            if answer == HANG:
                receiver.closing.wait()
                return
            self.send_response(answer)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def stop_receiver(receiver: Receiver) -> None:
    receiver.closing.set()
    receiver.server.shutdown()
    receiver.server.server_close()
