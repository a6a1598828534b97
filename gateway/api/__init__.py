"""HTTP routes under /api/v1, one module per resource."""

import marshmallow
from flask import Response, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from webargs.flaskparser import FlaskParser


class StrictParser(FlaskParser):
    """Unknown query parameters are an error too, not silently dropped."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": marshmallow.RAISE,
        "querystring": marshmallow.RAISE,
    }


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()

ERROR_RESPONSES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}


# Any route: the gateway refuses a URL with a NUL character (400) before routing it.
EVERY_ROUTE_ERRORS = (400,)


def errors(blp: Blueprint, *codes: int):
    """Document the problem+json responses a route can give (and those of EVERY_ROUTE_ERRORS)."""

    def decorate(view):
        for code in sorted(set(codes) | set(EVERY_ROUTE_ERRORS)):
            view = blp.alt_response(code, response=ERROR_RESPONSES[code])(view)
        return view

    return decorate


def reply(data, status: int = 200):
    """Services already return wire-ready dicts (decimals and times as strings), so the
    response schemas document them and the JSON goes out as it came."""
    if status == 204:
        return Response(status=204)
    response = jsonify(data)
    response.status_code = status
    return response


def json_body() -> dict:
    """The raw body, forwarded as is: it has passed the route's schema, and the service
    validates it again with the same schema."""
    return request.get_json()


def query_args() -> dict:
    return request.args.to_dict()


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The documented shape of a list: {items, page, page_size, total}."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "page_size": fields.Integer(),
            "total": fields.Integer(),
        },
        name=item_schema.__name__.removesuffix("Schema") + "Page",
    )
