"""Liveness and readiness probes."""

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from functools import partial

from marshmallow import Schema, fields

from contracts.clients import CLIENTS
from gateway.api import ApiBlueprint, errors, reply
from gateway.context import oms
from gateway.errors import problem
from wire.errors import ServiceError

blp = ApiBlueprint("health", __name__, description="Probes")

SERVICES = ("users", "products", "orders", "payments", "notifications", "order_queries", "webhooks")
READY_TIMEOUT_SECONDS = 2


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})


class ReadModelSchema(Schema):
    lag_ms = fields.Integer(
        required=True, metadata={"description": "How far the read side (GraphQL, exports) is behind."}
    )
    queued = fields.Integer(required=True, metadata={"description": "Events waiting in its queues."})
    last_event_at = fields.String(
        required=True, allow_none=True, metadata={"description": "When its newest event happened."}
    )


class ReadinessSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ready"]})
    services = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Each service and its state: ok, or why it is not answering."},
    )
    read_model = fields.Nested(
        ReadModelSchema,
        required=True,
        allow_none=True,
        metadata={"description": "order_queries' lag (not a condition)."},
    )


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@errors(blp)
def healthz():
    """The gateway process is alive."""
    return reply({"status": "ok"})


def _quick(context, service: str):
    """`service`'s typed client, called anonymously with the readiness check's short timeout."""
    return CLIENTS[service](partial(context.rpc.call, timeout=READY_TIMEOUT_SECONDS))


def _read_model_lag(context) -> dict | None:
    try:
        return _quick(context, "order_queries").lag()
    except ServiceError:
        return None  # it answered its ping a moment ago; a lag it can't tell now is not a 503


@blp.route("/readyz", methods=["GET"])
@blp.response(200, ReadinessSchema)
@errors(blp, 503)
def readyz():
    """The broker is reachable and every service answers a ping in time, with the read side's
    lag (`read_model`). Else 503, a problem whose `errors.services` maps each service to its
    state, as in the 200 answer."""
    context = oms()

    def ping(service, request_context):
        try:
            # In a copy of the request's context: the ping's RPC span is a child of the request's.
            request_context.run(_quick(context, service).ping)
            return "ok"
        except ServiceError as exc:
            return exc.detail

    with ThreadPoolExecutor(len(SERVICES)) as pool:
        states = pool.map(ping, SERVICES, [copy_context() for _ in SERVICES])
        checks = dict(zip(SERVICES, states, strict=True))
    if all(state == "ok" for state in checks.values()):
        return reply({"status": "ready", "services": checks, "read_model": _read_model_lag(context)})
    return problem(503, "Not every service is answering.", {"services": checks})
