"""The event reference of docs/events.md, generated from contracts/events.py: each event type,
the service whose exchange publishes it, and its payload's fields, nested objects included.

`python -m scripts.event_docs` rewrites it; `--check` exits 1 when it is stale
(tests/unit/test_generated_docs.py)."""

import sys

from marshmallow import Schema, fields

from contracts.events import SCHEMAS, SOURCES, Amount, Timestamp
from scripts.doc_markers import main
from wire.money import Currency

FILES = ("docs/events.md",)
MARKER = "events"


def field_type(field: fields.Field) -> str:
    """What the field holds on the wire, in words; a nested object by its schema's name."""
    if isinstance(field, fields.Nested):
        name = _schema_name(field.nested)
        return f"object ([{name}](#{name.lower()}))"
    if isinstance(field, fields.List):
        return f"list of {field_type(field.inner)}"
    for kind, words in ((Amount, "decimal string"), (Timestamp, "ISO 8601 time"), (Currency, "ISO 4217 code"),
                        (fields.UUID, "uuid"), (fields.Email, "email"), (fields.Integer, "integer")):
        if isinstance(field, kind):
            return words
    return "string"


def presence(field: fields.Field) -> str:
    if field.required:
        return "required, may be null" if field.allow_none else "required"
    return "optional (null when absent)"


def _schema_name(schema) -> str:
    schema_class = schema if isinstance(schema, type) else type(schema)
    return schema_class.__name__.removesuffix("Schema")


def _nested(schema: Schema) -> list[type[Schema]]:
    found = []
    for field in schema.fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            found.append(type(inner.schema))
    return found


def field_table(schema: Schema) -> list[str]:
    lines = ["| field | type | presence |", "|---|---|---|"]
    for name, field in schema.fields.items():
        lines.append(f"| `{name}` | {field_type(field)} | {presence(field)} |")
    return lines


def events_reference() -> str:
    lines = []
    nested: dict[str, type[Schema]] = {}
    for event_type, schema_class in SCHEMAS.items():
        schema = schema_class()
        source = SOURCES[event_type]
        lines += [f"### `{event_type}`", "",
                  f"Published by `{source}` on the exchange `{source}.events`, routing key `{event_type}`.", ""]
        if schema_class.__doc__:
            lines += [" ".join(schema_class.__doc__.split()), ""]
        lines += field_table(schema) + [""]
        for inner in _nested(schema):
            nested.setdefault(_schema_name(inner), inner)
    lines += ["### Nested objects", ""]
    pending = list(nested.items())
    while pending:  # breadth first: an object nested in a nested one is listed too
        name, schema_class = pending.pop(0)
        schema = schema_class()
        lines += [f"#### {name}", ""] + field_table(schema) + [""]
        for inner in _nested(schema):
            if _schema_name(inner) not in nested:
                nested[_schema_name(inner)] = inner
                pending.append((_schema_name(inner), inner))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(FILES, MARKER, events_reference(), sys.argv[1:], "scripts.event_docs"))
