"""Liveness and readiness probes."""

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from marshmallow import Schema, fields

from gateway.api import ApiBlueprint, errors, reply
from gateway.context import oms
from gateway.errors import problem
from plumbing.errors import ServiceError

blp = ApiBlueprint("health", __name__, description="Probes")

SERVICES = ("users", "products", "orders", "payments", "notifications", "order_queries")
READY_TIMEOUT_SECONDS = 2


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok"]})


class ReadinessSchema(Schema):
    status = fields.String(metadata={"enum": ["ready"]})
    services = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Each service and its state: ok, or why it is not answering."},
    )


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@errors(blp)
def healthz():
    """The gateway process is alive."""
    return reply({"status": "ok"})


@blp.route("/readyz", methods=["GET"])
@blp.response(200, ReadinessSchema)
@errors(blp, 503)
def readyz():
    """The broker is reachable and every service answers a ping in time. Else 503, a problem
    whose `errors.services` maps each service to its state, as in the 200 answer."""
    context = oms()

    def ping(service, request_context):
        try:
            # In a copy of the request's context: the ping's RPC span is a child of the request's.
            request_context.run(context.rpc.call, service, "ping", timeout=READY_TIMEOUT_SECONDS)
            return "ok"
        except ServiceError as exc:
            return exc.detail

    with ThreadPoolExecutor(len(SERVICES)) as pool:
        states = pool.map(ping, SERVICES, [copy_context() for _ in SERVICES])
        checks = dict(zip(SERVICES, states, strict=True))
    if all(state == "ok" for state in checks.values()):
        return reply({"status": "ready", "services": checks})
    return problem(503, "Not every service is answering.", {"services": checks})
