"""`/graphql` over HTTP, as the GraphQL-over-HTTP spec says: POST a JSON {query, variables,
operationName} (or GET with them as parameters); a browser's GET gets GraphiQL.

A request that cannot run (bad JSON, syntax error, unknown field, wrong variable type, over the
limits) is answered 400 to a client that accepts `application/graphql-response+json`, 200 to an
`application/json` one; every error carries `extensions.code`. A bad token is a 401 with the
same shape. Nothing here answers 500: an unexpected resolver error is logged and reported as
INTERNAL_SERVER_ERROR in its field's place."""

import asyncio
import json
import logging
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request, send_from_directory
from graphql import GraphQLError

from gateway.auth import bearer_token
from gateway.context import oms
from gateway.graphql.context import RequestContext
from gateway.graphql.schema import schema
from plumbing.config import PROJECT_ROOT
from wire.errors import ServiceError

log = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
# Pinned in the Makefile (npm, at set-up); served from here, no CDN.
GRAPHIQL_ASSETS = PROJECT_ROOT / "var" / "graphiql" / "node_modules"
ASSET_FILES = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}
CODES = {
    "NotFound": "NOT_FOUND",
    "Conflict": "CONFLICT",
    "Invalid": "BAD_USER_INPUT",
    "Forbidden": "FORBIDDEN",
    "Unauthenticated": "UNAUTHENTICATED",
    "Unavailable": "SERVICE_UNAVAILABLE",
}

blp = Blueprint("graphql", __name__)


@blp.route("/graphql", methods=["GET", "POST"])
def graphql():
    if request.method == "GET" and "query" not in request.args and _wants_html():
        return Response(_graphiql_page(), mimetype="text/html")
    response_type = GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in request.headers.get("Accept", "") else "application/json"
    try:
        params = _params()
    except ValueError as exc:
        return _answer({"errors": [_error(str(exc), "BAD_REQUEST")]}, 400, response_type)
    token = bearer_token()
    try:
        actor = oms().tokens.verify(token) if token else None
    except ServiceError as exc:
        return _answer({"errors": [_error(exc.detail, CODES.get(type(exc).__name__, "UNAUTHENTICATED"))]},
                       exc.status, response_type)
    g.token = token
    gateway = oms()
    context = RequestContext(services=gateway.services, actor=actor, products=gateway.products,
                             searches=gateway.searches, limits=current_app.config["GRAPHQL_LIMITS"])
    result = asyncio.run(
        schema.execute(params["query"], variable_values=params["variables"], context_value=context,
                       operation_name=params["operationName"])
    )
    body = {"data": result.data} if result.data is not None or not result.errors else {}
    if result.errors:
        body["errors"] = [_format(error) for error in result.errors]
    not_run = result.data is None and bool(result.errors)
    return _answer(body, 400 if not_run and response_type == GRAPHQL_RESPONSE else 200, response_type)


@blp.route("/graphql/assets/<name>", methods=["GET"])
def graphiql_asset(name):
    if name not in ASSET_FILES:
        return Response(status=404)
    path = GRAPHIQL_ASSETS / ASSET_FILES[name]
    return send_from_directory(path.parent, path.name, max_age=86400)


def _params() -> dict:
    if request.method == "POST":
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValueError("The body must be a JSON object {query, variables, operationName}.")
        variables = data.get("variables")
    else:
        data = request.args
        try:
            variables = current_app.json.loads(data["variables"]) if data.get("variables") else None
        except ValueError as exc:
            raise ValueError("`variables` is not JSON.") from exc
    query, operation = data.get("query"), data.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise ValueError("`query` must be a GraphQL document.")
    if variables is not None and not isinstance(variables, dict):
        raise ValueError("`variables` must be an object.")
    if operation is not None and not isinstance(operation, str):
        raise ValueError("`operationName` must be a string.")
    return {"query": query, "variables": variables, "operationName": operation}


def _format(error: GraphQLError) -> dict:
    formatted = error.formatted
    extensions = dict(formatted.get("extensions") or {})
    original = error.original_error
    if isinstance(original, ServiceError):
        formatted["message"] = original.detail
        extensions.setdefault("code", CODES.get(type(original).__name__, "BAD_REQUEST"))
        if getattr(original, "errors", None):
            extensions.setdefault("errors", original.errors)
    elif original is not None and not isinstance(original, GraphQLError):
        log.error("GraphQL resolver failed: %r", original, exc_info=original)
        formatted["message"] = "Internal error."
        extensions.setdefault("code", "INTERNAL_SERVER_ERROR")
    elif error.path is None:  # a syntax error, an unknown field, a wrong variable: the query never ran
        extensions.setdefault("code", "GRAPHQL_PARSE_FAILED" if "Syntax Error" in error.message
                              else "GRAPHQL_VALIDATION_FAILED")
    else:
        extensions.setdefault("code", "BAD_USER_INPUT")
    formatted["extensions"] = extensions
    return formatted


def _error(message: str, code: str) -> dict:
    return {"message": message, "extensions": {"code": code}}


def _answer(body: dict, status: int, mimetype: str) -> Response:
    return Response(json.dumps(body), status=status, mimetype=mimetype)


def _wants_html() -> bool:
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json", GRAPHQL_RESPONSE]) == "text/html"


def _graphiql_page() -> str:
    return (Path(__file__).parent / "graphiql.html").read_text()
