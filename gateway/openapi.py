"""The OpenAPI document and its docs page: what flask-smorest needs told about this API.

- Errors are application/problem+json with the problem schema (flask-smorest documents its
  error responses as application/json), and only the codes a route lists with `errors(...)`:
  no catch-all `default` response, which would make every status code "documented".
- Decimals travel as strings (`"19.99"`): documented as strings with a pattern; a bound, which
  JSON Schema applies to numbers only (validators and generators ignore `minimum` on a string),
  goes in `x-minimum`/`x-maximum`, as a number, and in the description.
- Patterns are ECMA-262, as OpenAPI says: Python's end anchor `\\Z` is written `$`.
- A rule across a body's fields (at least one change, a field that needs another) is stated in
  the schema's `Meta.json_schema_keywords` (`minProperties`, `dependentRequired`, ...), copied into
  its JSON Schema as is: OpenAPI 3.1, whose schemas are JSON Schema 2020-12, so clients,
  validators and schemathesis read the rule instead of a description only.
- /docs serves Swagger UI 5 (it renders OpenAPI 3.1) from the flask-swagger-ui package's copy of
  its dist files: no CDN, works offline."""

import http
from pathlib import Path

import flask_swagger_ui
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from flask import Blueprint, send_from_directory
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import fields

from gateway.errors import PROBLEM_JSON, ProblemSchema, http_exception_problem

DOCS_ASSETS_URL = "/docs/assets/"
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"


def decimal_properties(self, field: fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: a Decimal field as the wire carries it, bounds as numbers.
    Attribute functions can only add keys, so a string's `minimum`/`maximum` are dropped by
    `string_decimal_bounds` once the schema is built."""
    if not isinstance(field, fields.Decimal):
        return {}
    bounds = {key: _number(ret[key]) for key in ("minimum", "maximum") if key in ret}
    if not field.as_string:
        return bounds
    # A nullable one (a return's refund until it is received) says so, as apispec does for the others.
    wire_type = ["string", "null"] if field.allow_none else "string"
    properties = {"type": wire_type, "format": "decimal", **{f"x-{key}": value for key, value in bounds.items()}}
    if bounds:
        stated = f"A decimal string from {bounds.get('minimum', '…')} to {bounds.get('maximum', '…')}."
        described = ret.get("description")
        properties["description"] = f"{described} {stated}" if described else stated
    return properties


def string_decimal_bounds(self, field: fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function (the last): remove the numeric keywords from a decimal string."""
    if ret.get("format") == "decimal" and ret.get("type") in ("string", ["string", "null"]):
        for key in ("minimum", "maximum"):
            ret.pop(key, None)
    return {}


def ecma_pattern(self, field: fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: `\\Z` is no ECMA-262 escape; there `$` (no multiline flag)
    matches only at the very end, which is what `\\Z` means to Python."""
    pattern = ret.get("pattern")
    if pattern is None or not pattern.endswith(r"\Z"):
        return {}
    return {"pattern": pattern[:-2] + "$"}


def _number(value) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


class SchemaKeywordsConverter(OpenAPIConverter):
    """apispec's converter, plus the schema-wide keywords a marshmallow schema declares in
    `Meta.json_schema_keywords` (a field's attribute functions see one field only)."""

    def schema2jsonschema(self, schema) -> dict:
        jsonschema = super().schema2jsonschema(schema)
        jsonschema.update(getattr(getattr(schema, "Meta", None), "json_schema_keywords", {}))
        return jsonschema


class SchemaKeywordsPlugin(MarshmallowPlugin):
    Converter = SchemaKeywordsConverter


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _init_spec(self, **kwargs):
        super()._init_spec(**{"marshmallow_plugin": SchemaKeywordsPlugin(), **kwargs})
        self.ma_plugin.converter.add_attribute_function(decimal_properties)
        self.ma_plugin.converter.add_attribute_function(ecma_pattern)
        self.ma_plugin.converter.add_attribute_function(string_decimal_bounds)

    def _register_responses(self):
        # flask-smorest's, with problem+json for errors; success responses are documented per route.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_JSON
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)

    def handle_http_exception(self, error):
        return http_exception_problem(error)


def openapi_settings() -> dict:
    """Flask config for flask-smorest: the document at /openapi.json, Swagger UI at /docs."""
    return {
        "API_TITLE": "Order Management System",
        "API_VERSION": "v1",
        "API_SPEC_OPTIONS": {"info": {"description": (
            "Errors are application/problem+json (RFC 9457). No string, in a URL, query, form or JSON body,"
            " may contain a NUL character (PostgreSQL text can't hold one): a 400, or a 422 naming the field."
        )}},
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": DOCS_ASSETS_URL,
    }


docs_assets = Blueprint("docs_assets", __name__)


@docs_assets.route(DOCS_ASSETS_URL + "<path:filename>")
def docs_asset(filename: str):
    """Swagger UI's scripts and styles, from the installed package."""
    return send_from_directory(SWAGGER_UI_DIST, filename, max_age=86400)
