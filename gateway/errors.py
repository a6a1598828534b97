"""Every error the gateway returns is application/problem+json (RFC 9457)."""

import http
import json
import logging

from flask import Flask, Response, g
from marshmallow import Schema, fields
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException

from wire.errors import STORE_OUTAGE_ERRORS, ServiceError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ProblemSchema(Schema):
    type = fields.String(required=True, metadata={"description": "A URN naming the kind of problem."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "Field errors, keyed by location and field."})
    request_id = fields.String(required=True)


def problem_type(status: int) -> str:
    return "urn:oms:problem:" + http.HTTPStatus(status).phrase.lower().replace(" ", "-")


def problem(
    status: int, detail: str = "", errors: dict | None = None, headers: dict | None = None
) -> Response:
    body = {
        "type": problem_type(status),
        "title": http.HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or http.HTTPStatus(status).description,
        "request_id": g.get("request_id", ""),
    }
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON, headers=headers)


def http_exception_problem(error: HTTPException) -> Response:
    """werkzeug/webargs aborts (404 route, 405, 413, 422 validation ...) as problems, with the
    headers werkzeug gives them (a 405's Allow, RFC 9110 §15.5.6)."""
    data = getattr(error, "data", None) or {}
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    errors = data.get("messages")  # webargs: {location: {field: [message]}}
    if error.code == 400 and errors:
        detail = "The request body is not valid JSON."
    elif errors:
        detail = "The request has invalid fields."
    else:
        detail = error.description
    return problem(error.code, detail, errors, headers={**headers, **(data.get("headers") or {})})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        return problem(error.status, error.detail, error.errors or None, headers=error.headers)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_exception_problem(error)
        if isinstance(error, RemoteError) and error.exc_type in STORE_OUTAGE_ERRORS:
            log.warning("a service lost its database: %s", error.value)
            return problem(503, "A service's database is unavailable; try again shortly.")
        log.exception("unhandled error")
        return problem(500, "An unexpected error occurred; it has been logged.")
