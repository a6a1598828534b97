"""The GraphQL limits on the operation as it will run (gateway/graphql/limits.py), on the real schema."""

from graphql import get_introspection_query, parse, validate

from gateway.graphql.limits import Limits, check_limits
from gateway.graphql.schema import schema

SCHEMA = schema._schema
LIMITS = Limits()
# 20 orders (the default page) x 20 prices each x 11 fields: over 5,000 only with `first` at 100.
PRICES = "items { product { priceHistory { price currency effectiveAt } } }"
COSTLY = "query Q($n: Int! = 100) { orders(first: $n) { edges { node { id " + PRICES + " } } } }"


def errors_of(query: str, variables: dict | None = None, operation: str | None = None, limits: Limits = LIMITS,
              signed_in: bool = True) -> list[str]:
    document = parse(query)
    assert validate(SCHEMA, document) == []
    return [e.extensions["code"] for e in check_limits(SCHEMA, document, operation, variables, limits, signed_in)]


def test_first_from_a_variable_default_counts_as_that_default():
    assert errors_of(COSTLY) == ["QUERY_TOO_COSTLY"]
    assert errors_of(COSTLY, {"n": 5}) == []
    assert errors_of(COSTLY.replace("= 100", "= 5")) == []


def test_the_schema_default_of_first_counts_when_none_is_given():
    # priceHistory's `first` defaults to 20: 100 orders x 20 prices.
    query = "{ orders(first: 100) { edges { node { " + PRICES + " } } } }"
    assert errors_of(query) == ["QUERY_TOO_COSTLY"]


def test_each_alias_costs():
    one = "products(first: 30) { edges { node { id name priceHistory(first: 1) { price } } } }"
    assert errors_of("{ " + one + " }") == []
    assert errors_of("{ " + " ".join(f"p{n}: {one}" for n in range(61)) + " }") == ["QUERY_TOO_COSTLY"]
    # As reported: 61 x 30 products, each one a priceHistory RPC, `first` from a default.
    reported = "query Q($n: Int = 30) { " + " ".join(f"p{n}: {one}" for n in range(61)) + " }"
    assert errors_of(reported.replace("first: 30", "first: $n")) == ["QUERY_TOO_COSTLY"]

    def cheap(count: int) -> str:
        fields = (f'p{n}: product(id: "{n}") {{ priceHistory {{ price }} }}' for n in range(count))
        return "{ " + " ".join(fields) + " }"

    assert errors_of(cheap(61), signed_in=False) == []  # 61 x 22: under the anonymous 2,000
    assert errors_of(cheap(122), signed_in=False) == ["QUERY_TOO_COSTLY"]


def test_fields_that_make_an_rpc_each_cost_more_so_aliases_of_them_add_up():
    def metas(count: int) -> str:
        return "{ " + " ".join(f"m{n}: meta {{ lagMs }}" for n in range(count)) + " }"

    assert errors_of(metas(150), signed_in=False) == []  # 150 x 11
    assert errors_of(metas(200), signed_in=False) == ["QUERY_TOO_COSTLY"]


def test_an_orders_lines_count_as_several():
    # 100 orders x 5 lines x (product, priceHistory RPC, price): over 5,000 though `first` is 1.
    query = "{ orders(first: 100) { edges { node { items { product { priceHistory(first: 1) { price } } } } } } }"
    assert errors_of(query) == ["QUERY_TOO_COSTLY"]
    assert errors_of(query.replace("100", "50")) == []


def test_an_orders_shipments_returns_and_payment_operations_count_as_several():
    # 100 orders x 5 shipments x 5 lines x (product, name): over 5,000, though no list has a `first`.
    parcels = "{ orders(first: 100) { edges { node { shipments { items { product { name } } } } } } }"
    assert errors_of(parcels) == ["QUERY_TOO_COSTLY"]
    assert errors_of(parcels.replace("first: 100", "first: 50")) == []
    # 100 orders x 5 returns x 5 lines x 2 fields, and 100 x 5 operations x 10 fields: the same rule.
    returns = "{ orders(first: 100) { edges { node { returns { items { productId receivedQuantity } } } } } }"
    assert errors_of(returns) == ["QUERY_TOO_COSTLY"]
    operations = ("{ orders(first: 100) { edges { node { payment { operations { type amount status reference"
                  " failureReason at a: at b: at c: at d: at } } } } } }")
    assert errors_of(operations) == ["QUERY_TOO_COSTLY"]


def test_named_and_inline_fragments_count_where_they_are_spread():
    spread = "query Q($n: Int = 100) { orders(first: $n) { edges { node { ...O } } } } fragment O on Order { id " \
             + PRICES + " }"
    assert errors_of(spread) == ["QUERY_TOO_COSTLY"]
    inline = "query Q($n: Int = 100) { orders(first: $n) { edges { node { ... on Order { id " + PRICES + " } } } } }"
    assert errors_of(inline) == ["QUERY_TOO_COSTLY"]


def test_anonymous_callers_have_the_lower_ceiling():
    query = "{ products(first: 100) { edges { node { id name sku price currency stock description } } } }"
    assert errors_of(query, signed_in=True) == []
    assert errors_of(query, limits=Limits(max_cost_anonymous=500), signed_in=False) == ["QUERY_TOO_COSTLY"]


def test_depth_counts_fragments_and_aliases():
    query = "{ a: orders { edges { node { ...I } } } } fragment I on Order { items { product { id } } }"
    assert errors_of(query, limits=Limits(max_depth=6)) == []
    assert errors_of(query, limits=Limits(max_depth=5)) == ["QUERY_TOO_DEEP"]


def test_first_outside_1_to_100_is_refused_wherever_it_is():
    assert errors_of("{ products(first: 0) { totalCount } }") == ["BAD_USER_INPUT"]
    assert errors_of("query($n: Int!) { me { orders(first: $n) { totalCount } } }", {"n": 101}) == ["BAD_USER_INPUT"]
    assert errors_of("query($n: Int! = 101) { me { orders(first: $n) { totalCount } } }") == ["BAD_USER_INPUT"]
    assert errors_of("{ me { notifications(first: 100) { totalCount } } }") == []


def test_nul_long_and_deep_argument_values_are_refused_literal_or_variable():
    assert errors_of('{ order(id: "a\\u0000b") { id } }') == ["BAD_USER_INPUT"]
    assert errors_of("query($id: ID!) { product(id: $id) { id } }", {"id": "x\x00"}) == ["BAD_USER_INPUT"]
    assert errors_of("query($s: String) { products(search: $s) { totalCount } }", {"s": "x" * 5000}) == [
        "BAD_USER_INPUT"]
    assert errors_of("query($f: OrderFilter) { orders(filter: $f) { totalCount } }",
                     {"f": {"customerEmail": "a\x00@example.com"}}) == ["BAD_USER_INPUT"]
    assert errors_of('{ orders(after: "\\u0000") { totalCount } }') == ["BAD_USER_INPUT"]
    assert errors_of("query($id: ID!) { order(id: $id) { id } }", {"id": "\ud800a"}) == ["BAD_USER_INPUT"]


def test_graphiqls_introspection_query_fits_even_anonymously_but_nesting_it_is_refused():
    standard = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                       schema_description=True, input_value_deprecation=True)
    assert errors_of(standard, signed_in=False) == []
    # graphql-core's validation refuses `fields { type { fields ...` three deep; aliases and
    # `ofType` chains are the limits' to refuse.
    full = standard[standard.index("fragment FullType"):]
    copies = "{ " + " ".join(f"s{n}: __schema {{ types {{ ...FullType }} }}" for n in range(4)) + " } "
    assert errors_of(copies + full) == ["QUERY_TOO_COSTLY"]
    chain = '{ __type(name: "Order") { ' + "ofType { " * 16 + "name" + " }" * 16 + " } }"
    assert errors_of(chain) == ["QUERY_TOO_DEEP"]


def test_introspection_can_be_switched_off_but_typename_stays():
    off = Limits(introspection=False)
    assert errors_of('{ __type(name: "Order") { name } }', limits=off) == ["INTROSPECTION_DISABLED"]
    assert errors_of("{ __schema { queryType { name } } }", limits=off) == ["INTROSPECTION_DISABLED"]
    assert errors_of("{ __typename products(first: 1) { __typename } }", limits=off) == []


def test_introspection_is_off_by_default_in_production_only():
    settings = {"MAX_DEPTH": "10", "MAX_COST": "5000", "MAX_COST_ANONYMOUS": "2000", "INTROSPECTION": ""}
    assert Limits.from_config(settings, production=False).introspection
    assert not Limits.from_config(settings, production=True).introspection
    assert Limits.from_config({**settings, "INTROSPECTION": "true"}, production=True).introspection
    assert not Limits.from_config({**settings, "INTROSPECTION": "false"}, production=False).introspection


def test_only_the_chosen_operation_is_measured():
    document = "query Small { meta { lagMs } } " + COSTLY
    assert errors_of(document, operation="Small") == []
    assert errors_of(document, operation="Q") == ["QUERY_TOO_COSTLY"]


def test_last_counts_like_first_and_not_both():
    backwards = COSTLY.replace("first: $n", "last: $n")
    assert errors_of(backwards) == ["QUERY_TOO_COSTLY"]
    assert errors_of(backwards, {"n": 5}) == []
    assert errors_of("{ orders(last: 0) { totalCount } }") == ["BAD_USER_INPUT"]
    assert errors_of("{ products(first: 2, last: 2) { totalCount } }") == ["BAD_USER_INPUT"]
    # Neither counts as the default page of 20: ~63 per order, under the anonymous 2,000; 40 is over.
    lines = "{ orders%s { edges { node { items { product { priceHistory(first: 1) { price } } } } } } }"
    assert errors_of(lines % "", signed_in=False) == []
    assert errors_of(lines % "(first: 40)", signed_in=False) == errors_of(lines % "(last: 40)", signed_in=False) == [
        "QUERY_TOO_COSTLY"]
