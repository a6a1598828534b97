"""The GraphQL limits on query documents alone: depth, cost, `first` (gateway/graphql/limits.py)."""

from graphql import parse

from gateway.graphql.limits import MAX_COST, MAX_DEPTH, check_limits


def nested(depth: int) -> str:
    return "{ " + " { ".join(f"f{n}" for n in range(depth)) + " }" * depth


def errors_of(query: str, variables: dict | None = None, operation: str | None = None) -> list[str]:
    return [error.extensions["code"] for error in check_limits(parse(query), operation, variables or {})]


def test_a_query_at_the_depth_limit_passes_and_one_level_more_is_refused():
    assert errors_of(nested(MAX_DEPTH)) == []
    assert errors_of(nested(MAX_DEPTH + 1)) == ["QUERY_TOO_DEEP"]


def test_fragments_count_where_they_are_spread():
    query = "{ a { ...F } } fragment F on T { " + nested(MAX_DEPTH)[2:-2] + " }"
    assert errors_of(query) == ["QUERY_TOO_DEEP"]


def test_introspection_is_neither_deep_nor_costly():
    deep = "{ __schema { " + nested(MAX_DEPTH + 5)[2:-2] + " } }"
    assert errors_of(deep) == []


def test_cost_multiplies_by_each_page_size_given_or_by_variable():
    prices = "items { product { priceHistory(first: 50) { price } } }"
    query = "query($n: Int) { orders(first: $n) { edges { node { id " + prices + " } } } }"
    assert errors_of(query, {"n": 1}) == []
    assert errors_of(query, {"n": 100}) == ["QUERY_TOO_COSTLY"]
    # With no `first`, a page counts as 20: 20 orders x 50 prices x 5 fields is over.
    five_fields = "items { product { priceHistory(first: 50) { a b c d e } } }"
    assert errors_of("{ orders { edges { node { " + five_fields + " } } } }") == ["QUERY_TOO_COSTLY"]
    assert MAX_COST >= 50 * 20  # 50 orders with about 20 fields each must fit


def test_first_outside_1_to_100_is_refused_wherever_it_is():
    assert errors_of("{ products(first: 0) { totalCount } }") == ["BAD_USER_INPUT"]
    assert errors_of("query($n: Int) { me { orders(first: $n) { totalCount } } }", {"n": 101}) == ["BAD_USER_INPUT"]
    assert errors_of("{ me { notifications(first: 100) { totalCount } } }") == []


def test_only_the_chosen_operation_is_checked():
    document = "query Small { a } query Deep " + nested(MAX_DEPTH + 1)
    assert errors_of(document, operation="Small") == []
    assert errors_of(document, operation="Deep") == ["QUERY_TOO_DEEP"]
