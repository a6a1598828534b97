"""What a GraphQL request may ask for, measured on the operation as it will run, before it runs.

The operation's variables are coerced as execution will (the values given, else their defaults)
and every field's arguments read through them (else the schema's defaults), so `first: $n` with
`$n: Int = 100` counts as 100. Fragments (named and inline) count where they are spread, and
each alias is a field of its own. The request runs one operation, so it has one ceiling:
- depth: data fields nested at most `max_depth` (QUERY_TOO_DEEP), introspection at most
  MAX_INTROSPECTION_DEPTH (GraphiQL's own query is 13 deep);
- cost: every field costs 1 per object it may be resolved on, so a field under `orders(first:
  50)` or `orders(last: 50)` costs 50 (an order's `items`, `history`, `shipments`, `returns` and
  its payment's `operations` count as 5 each), and one that makes an RPC of
  its own costs RPC_COST instead of 1; an introspection list counts as long as its kind is on
  average in this schema (`types` as the number of types, `fields` as the fields of a type), so
  asking for types inside types multiplies, and 10 introspection objects cost 1; at most
  `max_cost`, lower for an anonymous caller (QUERY_TOO_COSTLY);
- `first` and `last`: 1 to MAX_FIRST wherever a field takes them, not both at once (a field
  given neither counts DEFAULT_PAGE, as it returns) (BAD_USER_INPUT);
- argument values: no NUL character or lone surrogate, no string over MAX_STRING_CHARS, lists
  and input objects at most MAX_VALUE_DEPTH deep (BAD_USER_INPUT);
- introspection (`__schema`, `__type`) can be off (INTROSPECTION_DISABLED);
- the document at most MAX_TOKENS tokens long (schema.py: a GRAPHQL_PARSE_FAILED)."""

import math
from dataclasses import dataclass
from functools import cache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    get_named_type,
    get_nullable_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_FIRST = 100
DEFAULT_PAGE = 20  # what a paged field returns when given neither `first` nor `last`
PAGE_SIZES = ("first", "last")
# Tokens a document may have (GraphiQL's introspection query has 183): graphql-core's validation
# compares fields pairwise, so 60 KB of aliases would take seconds before any limit is checked.
MAX_TOKENS = 2000
# Lists without `first`, counted at a typical length: an order's lines (at most 50; a shipment's and
# a return's too), history, shipments and returns, and its payment's operations.
UNPAGED_LISTS = {"items": 5, "history": 5, "shipments": 5, "returns": 5, "operations": 5}
# Fields whose resolver makes an RPC (or a search) of its own each time it runs, unbatched: 10
# each, so aliases of them cost what they make the services do.
RPC_FIELDS = {"orders", "products", "notifications", "meta", "priceHistory"}
RPC_COST = 10
MAX_INTROSPECTION_DEPTH = 15
INTROSPECTION_OBJECTS_PER_COST = 10  # answered from memory, no RPC: GraphiQL's query costs ~1,400
MAX_STRING_CHARS = 4096  # the longest id, cursor, search or filter value taken
MAX_VALUE_DEPTH = 5  # OrderFilter and ProductFilter are 1 deep

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef, "__typename": TypeNameMetaFieldDef}


@dataclass(frozen=True)
class Limits:
    max_depth: int = 10
    max_cost: int = 5000
    max_cost_anonymous: int = 2000
    introspection: bool = True

    @classmethod
    def from_config(cls, settings: dict, production: bool) -> "Limits":
        """GATEWAY.GRAPHQL: introspection left empty is on, except in production mode."""
        switch = str(settings.get("INTROSPECTION") or "").strip().lower()
        return cls(
            max_depth=int(settings["MAX_DEPTH"]),
            max_cost=int(settings["MAX_COST"]),
            max_cost_anonymous=int(settings["MAX_COST_ANONYMOUS"]),
            introspection=not production if not switch else switch in ("1", "true", "yes", "on"),
        )


@cache
def _introspection_lengths(schema: GraphQLSchema) -> dict[str, int]:
    """How long each introspection list is on average (at least 1) in `schema`."""
    types = [t for t in schema.type_map.values()]
    fields = [f for t in types for f in getattr(t, "fields", {}).values()]
    per_type = {
        "fields": sum(len(t.fields) for t in types if isinstance(t, GraphQLObjectType)),
        "inputFields": sum(len(getattr(t, "fields", {})) for t in types if not isinstance(t, GraphQLObjectType)),
        "enumValues": sum(len(getattr(t, "values", {}) or {}) for t in types),
        "interfaces": sum(len(getattr(t, "interfaces", ()) or ()) for t in types),
        "possibleTypes": len(types),
    }
    lengths = {name: math.ceil(total / len(types)) for name, total in per_type.items()}
    lengths["types"] = len(types)
    lengths["directives"] = len(schema.directives)
    arguments = [a for f in fields for a in (getattr(f, "args", None) or {}).values()]
    arguments += [a for d in schema.directives for a in d.args.values()]
    lengths["args"] = math.ceil(len(arguments) / max(len(fields) + len(schema.directives), 1))
    lengths["locations"] = 5
    return {name: max(length, 1) for name, length in lengths.items()}


def _value_problem(value, depth: int = 0) -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return "may not contain NUL characters"
        if len(value) > MAX_STRING_CHARS:
            return f"may be at most {MAX_STRING_CHARS} characters"
        try:
            value.encode()
        except UnicodeEncodeError:  # a lone surrogate (`"\ud800"` in JSON): no store or RPC takes it
            return "is not valid Unicode"
        return None
    if isinstance(value, dict | list):
        if depth >= MAX_VALUE_DEPTH:
            return f"may nest at most {MAX_VALUE_DEPTH} deep"
        for child in value.values() if isinstance(value, dict) else value:
            problem = _value_problem(child, depth + 1)
            if problem:
                return problem
    return None


class _Measure:
    def __init__(self, schema: GraphQLSchema, fragments: dict, variables: dict, limits: Limits):
        self.schema, self.fragments, self.variables, self.limits = schema, fragments, variables, limits
        self.lengths = _introspection_lengths(schema)
        self.errors: list[GraphQLError] = []
        self.depth = self.introspection_depth = self.introspected = 0

    def error(self, message: str, node, code: str) -> None:
        self.errors.append(GraphQLError(message, node, extensions={"code": code}))

    def field(self, parent, node: FieldNode, depth: int, multiplier: int, introspecting: bool) -> int:
        name = node.name.value
        definition = META_FIELDS.get(name) or parent.fields[name]  # validated: the field exists
        if name in ("__schema", "__type"):
            introspecting = True
            if not self.limits.introspection:
                self.error("Introspection is switched off here.", node, INTROSPECTION_DISABLED)
        try:
            arguments = get_argument_values(definition, node, self.variables)
        except GraphQLError as exc:  # e.g. null for a non-null argument
            self.error(exc.message, node, BAD_USER_INPUT)
            return multiplier
        for argument, value in arguments.items():
            problem = _value_problem(value)
            if problem:
                self.error(f"`{name}({argument})` {problem}.", node, BAD_USER_INPUT)
        if introspecting:
            self.introspection_depth = max(self.introspection_depth, depth)
        else:
            self.depth = max(self.depth, depth)
        inner = multiplier
        if any(size in arguments for size in PAGE_SIZES):
            inner *= self.page_size(arguments, node)
        elif introspecting and isinstance(get_nullable_type(definition.type), GraphQLList):
            inner *= self.lengths.get(name, 1)
        elif name in UNPAGED_LISTS:
            inner *= UNPAGED_LISTS[name]
        if introspecting:
            self.introspected += multiplier
            own = 0
        else:
            own = multiplier * (RPC_COST if name in RPC_FIELDS else 1)
        return own + self.selections(get_named_type(definition.type), node.selection_set, depth + 1, inner,
                                     introspecting, frozenset())

    def page_size(self, arguments: dict, node: FieldNode) -> int:
        """How many items a paged field may return, whichever end it counts from."""
        given = {name: arguments[name] for name in PAGE_SIZES if arguments.get(name) is not None}
        if len(given) > 1:
            self.error("Give `first` or `last`, not both.", node, BAD_USER_INPUT)
        for name, size in given.items():
            if not isinstance(size, int) or not 1 <= size <= MAX_FIRST:
                self.error(f"`{name}` must be 1 to {MAX_FIRST}.", node, BAD_USER_INPUT)
        size = max((s for s in given.values() if isinstance(s, int)), default=DEFAULT_PAGE)
        return min(max(size, 1), MAX_FIRST)

    def selections(self, parent, selection_set: SelectionSetNode | None, depth: int, multiplier: int,
                   introspecting: bool, spread: frozenset) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, depth, multiplier, introspecting)
            elif isinstance(selection, InlineFragmentNode):
                on = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                total += self.selections(on, selection.selection_set, depth, multiplier, introspecting, spread)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in spread:
                fragment = self.fragments[selection.name.value]  # validated: it exists, no cycles
                on = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selections(on, fragment.selection_set, depth, multiplier, introspecting,
                                         spread | {selection.name.value})
        return total


def check_limits(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict | None,
                 limits: Limits, signed_in: bool) -> list[GraphQLError]:
    """The errors that keep a valid document's operation from running (none: it may run)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                  and (operation_name is None or (d.name and d.name.value == operation_name))]
    if len(operations) != 1:
        return []  # no operation, or an ambiguous one: execution refuses it without running anything
    operation = operations[0]
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return coerced  # a variable of the wrong type or missing: GRAPHQL_VALIDATION_FAILED
    measure = _Measure(schema, fragments, coerced, limits)
    root = schema.get_root_type(operation.operation)
    cost = measure.selections(root, operation.selection_set, 1, 1, False, frozenset())
    cost += math.ceil(measure.introspected / INTROSPECTION_OBJECTS_PER_COST)
    if measure.depth > limits.max_depth:
        measure.error(f"The query is {measure.depth} levels deep; at most {limits.max_depth} are allowed.",
                      operation, QUERY_TOO_DEEP)
    if measure.introspection_depth > MAX_INTROSPECTION_DEPTH:
        measure.error(f"The introspection query is {measure.introspection_depth} levels deep; at most "
                      f"{MAX_INTROSPECTION_DEPTH} are allowed.", operation, QUERY_TOO_DEEP)
    ceiling = limits.max_cost if signed_in else limits.max_cost_anonymous
    if cost > ceiling:
        hint = "" if signed_in else " without a token"
        measure.error(f"The query may cost {cost}; at most {ceiling} is allowed{hint}.", operation, QUERY_TOO_COSTLY)
    return measure.errors


class QueryLimits(SchemaExtension):
    """Runs the schema's validation and then the limits: an invalid query never reaches them,
    and a query over them never runs."""

    def on_validate(self):
        execution = self.execution_context
        schema = execution.schema._schema
        errors = validate_document(schema, execution.graphql_document, execution.validation_rules)
        if not errors:
            context = execution.context
            errors = check_limits(schema, execution.graphql_document, execution.operation_name, execution.variables,
                                  context.limits, context.actor is not None)
        execution.pre_execution_errors = list(errors)  # set: strawberry does not validate again
        yield
