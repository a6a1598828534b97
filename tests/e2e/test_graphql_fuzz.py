"""A bounded property-based run of /graphql: every argument of the schema gets generated variables
(NUL characters, lone surrogates, long strings, huge numbers, nested values, wrong types), by POST
and by GET, with and without a token. No answer may be a 5xx or an INTERNAL_SERVER_ERROR: bad
input is a GraphQL error with a code (or, for a GET over the URL's limits, a 400 problem or
gunicorn's 414). Deterministic (derandomized, no example database) and
bounded (MAX_EXAMPLES requests)."""

import json

import hypothesis
import requests
from hypothesis import strategies as st

from tests.e2e.test_graphql import GRAPHQL_RESPONSE

MAX_EXAMPLES = 150
OPERATIONS = [
    "query($id: ID!) { order(id: $id) { id items { product { id } } } }",
    "query($id: ID!, $n: Int!) { product(id: $id) { id priceHistory(first: $n) { price } } }",
    "query($f: OrderFilter, $n: Int!, $a: String) { orders(filter: $f, first: $n, after: $a) { totalCount"
    " edges { node { id } } } }",
    "query($f: OrderFilter, $n: Int!, $a: String) { orders(filter: $f, last: $n, before: $a) { totalCount"
    " pageInfo { hasPreviousPage startCursor } edges { node { id status total } } } }",
    "query($s: String, $f: ProductFilter, $n: Int!, $a: String) { products(search: $s, filter: $f, first: $n,"
    " after: $a) { totalCount edges { cursor node { id } } } }",
    "query($n: Int!, $a: String) { me { notifications(first: $n, after: $a) { totalCount } orders(first: $n,"
    " after: $a) { totalCount } } }",
    "query($s: String, $n: Int!, $a: String) { products(search: $s, last: $n, before: $a) { totalCount } me {"
    " notifications(last: $n, before: $a) { totalCount } } }",
    "query($name: String!) { __type(name: $name) { name fields { name } } }",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from(["\x00", "\ud800", "a", "'", "%", "\\"]), max_size=10),
    st.builds(lambda n: "x" * n, st.integers(min_value=4000, max_value=6000)),
    # Old offset cursors, tagged cursors of each list with odd positions, and odd strings.
    st.sampled_from(["", "b2Zmc2V0OjE5", "b2Zmc2V0Oi0x", "WyJwcm9kdWN0IiwgLTFd", "WyJwcm9kdWN0IiwgMWUzMDBd",
                     "WyJub3RpZmljYXRpb24iLCAxMDAwMDAwMDAwMDAwXQ==", "WyJvcmRlciIsIDEsIDJd", "==", "2026-13-45",
                     "-1e999", "NaN", "placed", "CONFIRMED", "19.99"]),
)
odd_strings = st.text(alphabet=st.sampled_from(["\x00", "\ud800", "a", "1", "-", "="]), min_size=1, max_size=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["status", "createdFrom", "minTotal", "maxTotal", "customerEmail", "minPrice", "currency",
                     "inStock", "\x00", "x"]), inner, max_size=3), max_leaves=8)
requests_ = st.fixed_dictionaries({
    "query": st.sampled_from(OPERATIONS),
    "variables": st.fixed_dictionaries(
        {"n": st.integers(min_value=1, max_value=100) | values},  # mostly a valid page: some queries run
        optional={name: odd_strings | values for name in ("id", "f", "a", "s", "name")},
    ),
    "method": st.sampled_from(["POST", "GET"]),
    "signed_in": st.booleans(),
})


def test_no_variables_make_graphql_answer_5xx_or_an_internal_error(system, admin):
    answers = set()

    @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                         phases=[hypothesis.Phase.generate], suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(requests_)
    def run(case):
        headers = {"Accept": GRAPHQL_RESPONSE, **({"Authorization": f"Bearer {admin.token}"} if case["signed_in"]
                                                  else {})}
        body = {"query": case["query"], "variables": case["variables"]}
        if case["method"] == "POST":
            response = requests.post(f"{system.url}/graphql", json=body, headers=headers, timeout=30)
        else:
            params = {"query": body["query"], "variables": json.dumps(body["variables"])}
            response = requests.get(f"{system.url}/graphql", params=params, headers=headers, timeout=30)
        assert response.status_code < 500, response.text
        answers.add(response.status_code)
        if not response.headers["Content-Type"].startswith(GRAPHQL_RESPONSE):
            return  # refused before /graphql: a URL over gunicorn's 8,190 bytes, a query value over 4,096
        codes = {e["extensions"]["code"] for e in response.json().get("errors", [])}
        assert "INTERNAL_SERVER_ERROR" not in codes, (case, response.text)

    run()
    assert {200, 400} <= answers  # both queries that ran and queries that were refused
