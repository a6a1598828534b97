"""What every request must be before any route sees it: bad input is a 4xx problem, never a 500.

- JSON bodies are parsed in one place, Flask's JSON provider, for the route schemas (webargs,
  through `StrictParser`), `json_body()` and GraphQL alike: nested deeper than MAX_JSON_DEPTH,
  or with NaN, Infinity or a number too large for a float (none of them JSON), a body is a 400
  ("not valid JSON") instead of a RecursionError or an `inf` deeper in.
- The URL, its query string and form fields (OAuth's) may hold no NUL character (PostgreSQL
  text can't) and no value longer than MAX_FIELD_CHARS: a 400 before routing. A REST route's
  JSON body may hold no NUL either, in any key or string (`nul_at`, read by the route parser: a
  422 naming the place); its values' lengths are the route schemas' to bound, and the whole body
  is bounded by GATEWAY.MAX_CONTENT_LENGTH (413).

gunicorn refuses a request line over 8190 bytes (gateway/gunicorn.conf.py) or a header over 8190
itself (a plain-text 400)."""

import json
import math

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from gateway.errors import problem

MAX_JSON_DEPTH = 32  # the deepest body a route takes (an order's lines) is 3
MAX_FIELD_CHARS = 4096  # a query or form value: ids, filters, OAuth credentials and tokens
FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class UnacceptableJson(ValueError):
    """JSON the gateway does not take (a ValueError, which Flask's `get_json` turns into a 400)."""


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UnacceptableJson(f"The number {text[:20]} is too large.")
    return number


def _refuse_constant(name: str):
    raise UnacceptableJson(f"{name} is not JSON.")


def _depth(value) -> int:
    """How deeply arrays and objects nest in `value`, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def nul_at(value) -> str | None:
    """Where the first NUL character in parsed JSON is (`items.0.sku`), or None."""
    stack = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return path or "(the body)"
        elif isinstance(node, dict | list):
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                where = f"{path}.{key}" if path else str(key)
                if "\x00" in where:
                    return (path or "(the body)") + " (a key)"
                stack.append((child, where))
    return None


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, parse_float=_finite_float, parse_constant=_refuse_constant, **kwargs)
        except RecursionError:
            value = None
        else:
            if _depth(value) <= MAX_JSON_DEPTH:
                return value
        raise UnacceptableJson(f"Arrays and objects may nest at most {MAX_JSON_DEPTH} deep.")


class GatewayRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None):
        # Flask's says only "Bad Request" outside debug mode: say what is wrong with the body.
        if e is None:
            return super().on_json_loading_failed(e)
        raise BadRequest(f"The request body is not valid JSON: {e}") from e


def refuse_bad_fields():
    """A 400 problem for a NUL or an oversized value in the URL, its query or a form (a
    before_request step: app.py's, once the request has its id)."""
    if "\x00" in request.path:
        return problem(400, "The URL may not contain NUL characters.")
    locations = {"query": request.args}
    if request.mimetype in FORM_MIMETYPES:
        locations["form"] = request.form
    for location, fields in locations.items():
        for name, values in fields.lists():
            for text in (name, *values):
                if "\x00" in text:
                    return problem(400, f"The {location} may not contain NUL characters.")
                if len(text) > MAX_FIELD_CHARS:
                    return problem(400, f"A {location} field may be at most {MAX_FIELD_CHARS} characters.",
                                   {location: {name[:100]: [f"Longer than {MAX_FIELD_CHARS} characters."]}})
    return None


def parse_json_strictly(app: Flask) -> None:
    """Every JSON body the app reads, through StrictJSONProvider."""
    app.json = StrictJSONProvider(app)
    app.request_class = GatewayRequest
