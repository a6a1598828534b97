"""What generated clients need of the OpenAPI document (issue 23): answers whose fields are
required unless they can be left out, and schema names that no generator takes for itself."""

from scripts.openapi_document import openapi_document

# Names the generators' own modules use: openapi-python-client's Client, AuthenticatedClient,
# Response, File, Unset, UnexpectedStatus; and common ones of other generators.
GENERATOR_NAMES = {"AuthenticatedClient", "Client", "Error", "Errors", "File", "Response", "Types",
                   "UnexpectedStatus", "Unset"}
# Fields an answer may leave out: an inactive token's introspection is only {"active": false}
# (RFC 7662 §2.2); a problem has `errors` only when fields were wrong.
SOMETIMES_ABSENT = {
    "Introspection": {"aud", "client_id", "exp", "iat", "iss", "role", "scope", "sub", "token_type"},
    "Problem": {"errors"},
    "Address": {"line2"},  # the same schema as in requests, where it is optional; answers echo what was sent
}


def _references(node):
    """(kind, name) of each $ref in `node`: ("schemas", "Order"), ("responses", "NOT_FOUND")."""
    if isinstance(node, dict):
        if "$ref" in node:
            *_, kind, name = node["$ref"].split("/")
            yield kind, name
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _answer_schemas(document: dict) -> set[str]:
    """Every schema an answer can contain, nested ones included."""
    answers = [operation["responses"] for methods in document["paths"].values()
               for name, operation in methods.items() if name != "parameters"]
    found, pending = set(), set(_references(answers))
    while pending:
        reference = pending.pop()
        found.add(reference)
        kind, name = reference
        pending |= set(_references(document["components"][kind][name])) - found
    return {name for kind, name in found if kind == "schemas"}


def test_answers_require_every_field_they_always_carry():
    document = openapi_document()
    answers = _answer_schemas(document)
    assert {"Order", "OrderItem", "OrderPage", "Problem", "OAuthClient"} <= answers
    for name in answers:
        schema = document["components"]["schemas"][name]
        optional = set(schema.get("properties", {})) - set(schema.get("required", []))
        assert optional == SOMETIMES_ABSENT.get(name, set()), name


def test_schema_names_leave_the_generators_their_own():
    assert not GENERATOR_NAMES & set(openapi_document()["components"]["schemas"])
