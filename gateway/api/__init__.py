"""HTTP routes under /api/v1, one module per resource."""

import marshmallow
from flask import Response, jsonify, request
from flask_smorest import Blueprint
from webargs import missing
from webargs.flaskparser import FlaskParser, is_json_request

from contracts.operation import API_PREFIX, Binary, Operation
from gateway.auth import access_doc, requires
from gateway.request_limits import nul_at


class StrictParser(FlaskParser):
    """Unknown query parameters are an error too, not silently dropped; the JSON body is the
    app's own parse (gateway/request_limits.py), shared with `json_body()`."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": marshmallow.RAISE,
        "querystring": marshmallow.RAISE,
    }

    def _raw_load_json(self, req):
        if not is_json_request(req) or not req.get_data(cache=True):
            return missing
        body = req.get_json()
        where = nul_at(body)
        if where is not None:  # PostgreSQL text can't hold it, whichever field it is in
            raise marshmallow.ValidationError({where: ["May not contain NUL characters."]})
        return body


def operation_id(view_name: str) -> str:
    """The OpenAPI operationId of a view: its name in camelCase (`create_order` → `createOrder`),
    the function name a generated client gives the call."""
    first, *rest = view_name.split("_")
    return first + "".join(word.capitalize() for word in rest)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def route(self, rule, **options):
        """flask-smorest's, with an operationId from the view's name unless one was documented."""
        register = super().route(rule, **options)

        def decorate(view):
            if "operationId" not in getattr(view, "_apidoc", {}).get("manual_doc", {}):
                view = self.doc(operationId=operation_id(view.__name__))(view)
            return register(view)

        return decorate

    def operation(self, operation: Operation, *, response_headers: dict | None = None, **response_options):
        """The route of `operation` (contracts), everything read from its declaration: the access
        (None's public; else a bearer token it allows, checked first, and documented), the schemas
        of its `headers`, `query` and `body` (the view gets them in that order, before the URL's
        variables), the success response (`http.status`, `reply`, plus `response_headers` and
        `response_options`) and the errors its typed `errors` give (e.g. 404, 409). The other
        problem responses follow from the declaration: 401 and 403 with an access policy, 422 with
        any schema to load, 415 with a body, 429 and 503 always (the rate limit; a service or the broker down), 400
        on every route. The view's docstring is the declaration's `doc`."""
        http = operation.http
        if http is None:
            raise ValueError(f"{operation.id} has no HTTP route")
        rule = API_PREFIX + http.path
        if not rule.startswith(self.url_prefix or ""):
            raise ValueError(f"{operation.id}: {rule} is not under {self.url_prefix}")
        access = None if operation.access.public else operation.access
        codes = {*operation.error_statuses, 429, 503}
        decorators = [self.route(rule.removeprefix(self.url_prefix or ""), methods=[http.method])]
        if access is not None:
            codes |= {401, 403}
            decorators.append(requires(access))
        loaded = (
            (operation.headers, {"location": "headers"}),
            (operation.query, {"location": "query"}),
            (operation.body, {} if operation.body_required else {"required": False}),
        )
        for argument_schema, options in loaded:
            if argument_schema is not None:
                codes.add(422)
                if argument_schema is operation.body:  # a body that is there but not JSON (Flask's get_json)
                    codes.add(415)
                decorators.append(self.arguments(argument_schema, **options))
        if response_headers is not None:
            response_options["headers"] = response_headers
        schema = operation.reply
        if isinstance(schema, Binary):
            schema, response_options["content_type"] = BINARY_BODY, schema.media_type
        decorators.append(self.response(http.status, schema, **response_options))
        doc = {"operationId": operation.id, "tags": [http.tag]}
        if access is not None:
            doc |= access_doc(access)
        decorators.append(self.doc(**doc))
        decorators.append(errors(self, *codes))

        def decorate(view):
            view.__doc__ = operation.doc
            view.operation = operation
            for decorator in reversed(decorators):
                view = decorator(view)
            return view

        return decorate


BINARY_BODY = {"type": "string", "format": "binary"}


ERROR_RESPONSES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}


# Any route: the gateway refuses a NUL or an oversized value in the URL, query or form (400) before
# routing it, and a body that is not JSON it takes (gateway/request_limits.py).
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
    """The raw body, forwarded as is once it has passed the route's contracts schema (a 422
    without a round trip, and the OpenAPI document). Not the loaded result: its Decimals and
    datetimes don't go over the RPC's JSON, and dumping it back would drop write-only fields (a
    password). The service loads it again with the same schema, as it must for every other RPC
    caller, and works on what it loaded."""
    return request.get_json()


def query_args() -> dict:
    return request.args.to_dict()
