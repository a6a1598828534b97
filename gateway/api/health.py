"""Liveness and readiness probes."""

from concurrent.futures import ThreadPoolExecutor

from gateway.api import ApiBlueprint, reply
from gateway.context import oms
from gateway.errors import problem
from plumbing.errors import ServiceError

blp = ApiBlueprint("health", __name__, description="Probes")

SERVICES = ("users", "products", "orders", "payments", "notifications")
READY_TIMEOUT_SECONDS = 2


@blp.route("/healthz", methods=["GET"])
def healthz():
    """The gateway process is alive."""
    return reply({"status": "ok"})


@blp.route("/readyz", methods=["GET"])
def readyz():
    """The broker is reachable and every service answers a ping in time (else 503)."""
    context = oms()

    def ping(service):
        try:
            context.rpc.call(service, "ping", timeout=READY_TIMEOUT_SECONDS)
            return "ok"
        except ServiceError as exc:
            return exc.detail

    with ThreadPoolExecutor(len(SERVICES)) as pool:
        checks = dict(zip(SERVICES, pool.map(ping, SERVICES), strict=True))
    if all(state == "ok" for state in checks.values()):
        return reply({"status": "ready", "services": checks})
    return problem(503, "Not every service is answering.", {"services": checks})
