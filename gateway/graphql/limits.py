"""What a GraphQL query may ask for, checked on its document before anything runs.

- depth: fields nested at most MAX_DEPTH deep (code QUERY_TOO_DEEP);
- cost: every field costs 1 per object it may be resolved on, so a field under `orders(first:
  50)` costs 50; a query may cost at most MAX_COST (code QUERY_TOO_COSTLY);
- `first`: 1 to MAX_FIRST on every paged field (code BAD_USER_INPUT).
Introspection (fields starting with `__`) is free and not limited: GraphiQL's own query is deep."""

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_DEPTH = 10
MAX_COST = 5000
MAX_FIRST = 100
# Paged fields, and the page size they have when `first` is not given.
PAGED_FIELDS = {"orders": 20, "products": 20, "notifications": 20, "priceHistory": 20}

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
BAD_USER_INPUT = "BAD_USER_INPUT"


class _Walk:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], variables: dict):
        self.fragments = fragments
        self.variables = variables
        self.errors: list[GraphQLError] = []
        self.depth = 0

    def first(self, field: FieldNode) -> int | None:
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
            elif isinstance(value, IntValueNode):
                given = int(value.value)
            else:
                given = None
            return given if isinstance(given, int) else None
        return None

    def cost(self, selections: SelectionSetNode | None, depth: int, multiplier: int, seen: frozenset) -> int:
        if selections is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                self.depth = max(self.depth, depth)
                page = multiplier
                if name in PAGED_FIELDS:
                    first = self.first(selection)
                    if first is not None and not 1 <= first <= MAX_FIRST:
                        self.errors.append(
                            GraphQLError(f"`first` must be 1 to {MAX_FIRST}.", selection,
                                         extensions={"code": BAD_USER_INPUT})
                        )
                    page = multiplier * min(max(first or PAGED_FIELDS[name], 1), MAX_FIRST)
                total += multiplier + self.cost(selection.selection_set, depth + 1, page, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += self.cost(selection.selection_set, depth, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:  # cycles are a validation error already
                    total += self.cost(fragment.selection_set, depth, multiplier, seen | {name})
        return total


def check_limits(document: DocumentNode, operation_name: str | None, variables: dict) -> list[GraphQLError]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [op for op in operations if operation_name is None or (op.name and op.name.value == operation_name)]
    errors = []
    for operation in chosen[:1]:
        walk = _Walk(fragments, variables or {})
        cost = walk.cost(operation.selection_set, 1, 1, frozenset())
        errors += walk.errors
        if walk.depth > MAX_DEPTH:
            errors.append(GraphQLError(f"The query is {walk.depth} levels deep; at most {MAX_DEPTH} are allowed.",
                                       operation, extensions={"code": QUERY_TOO_DEEP}))
        if cost > MAX_COST:
            errors.append(GraphQLError(f"The query may cost {cost}; at most {MAX_COST} is allowed.",
                                       operation, extensions={"code": QUERY_TOO_COSTLY}))
    return errors


class QueryLimits(SchemaExtension):
    """Runs the schema's validation and then the limits: an invalid query never reaches them,
    and a query over them never runs."""

    def on_validate(self):
        context = self.execution_context
        errors = validate_document(context.schema._schema, context.graphql_document, context.validation_rules)
        if not errors:
            errors = check_limits(context.graphql_document, context.operation_name, context.variables or {})
        context.pre_execution_errors = list(errors)  # set: strawberry does not validate again
        yield
