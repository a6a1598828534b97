"""Service tests of `products`: a real container on the test vhost, the real database and Redis."""

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from contracts.products import MAX_STOCK
from plumbing.migrations import database_urls
from tests.integration.conftest import call
from tests.tokens import ADMIN, ORDERS_CLIENT, User, client_token, expired_token, forged_token, user_token
from wire.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated

CUSTOMER = User("customer-1")
WIDGET = {
    "sku": "WID-001",
    "name": "Blue widget",
    "description": "A small blue widget for everyday fixing.",
    "price": "19.99",
    "currency": "USD",
    "stock": 10,
}


def create(container, **overrides):
    return call(container, "create_product", {**WIDGET, **overrides}, as_=ADMIN)


@pytest.fixture
def products_db(config):
    engine = create_engine(database_urls(config)["products"])
    yield engine
    engine.dispose()


def stored_row(engine, product_id: str) -> dict | None:
    """The product as the database holds it, bypassing the service and its cache."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT sku, name, description, price, currency, stock, version FROM products WHERE id = :id"),
            {"id": product_id},
        ).mappings().first()
    return dict(row) if row else None


def count_rows(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


# --- create -------------------------------------------------------------------------------------


def test_admin_creates_a_product_and_gets_it_back(products_container, products_db):
    product = create(products_container)
    assert set(product) == {
        "id", "sku", "name", "description", "price", "currency", "stock", "created_at", "updated_at",
    }
    assert product["price"] == "19.99" and product["currency"] == "USD" and product["stock"] == 10
    assert call(products_container, "get_product", product["id"]) == product
    row = stored_row(products_db, product["id"])
    assert row["price"] == Decimal("19.99") and row["stock"] == 10 and row["version"] == 1


def test_created_product_opens_its_price_history(products_container):
    product = create(products_container)
    history = call(products_container, "get_price_history", product["id"])
    assert history["total"] == 1
    assert history["items"][0]["price"] == "19.99" and history["items"][0]["currency"] == "USD"


def test_whole_amount_price_is_returned_with_two_places(products_container):
    assert create(products_container, price="20")["price"] == "20.00"


def test_customer_cannot_create_a_product(products_container, products_db):
    with pytest.raises(Forbidden):
        call(products_container, "create_product", WIDGET, as_=CUSTOMER)
    assert count_rows(products_db, "products") == 0


@pytest.mark.parametrize(
    "token", [None, "not-a-jwt", forged_token(), expired_token(), user_token("x", "superuser")],
    ids=["none", "garbage", "forged", "expired", "unknown-role"],
)
def test_create_without_a_valid_token_is_unauthenticated(products_container, products_db, token):
    with pytest.raises(Unauthenticated):
        call(products_container, "create_product", WIDGET, as_=token)
    assert count_rows(products_db, "products") == 0


def test_a_client_with_catalog_write_creates_a_product_and_one_without_cannot(products_container, products_db):
    with pytest.raises(Forbidden):
        call(products_container, "create_product", WIDGET, as_=client_token("erp", "stock:write"))
    assert count_rows(products_db, "products") == 0
    created = call(products_container, "create_product", WIDGET, as_=client_token("pim", "catalog:write"))
    assert created["sku"] == WIDGET["sku"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"price": "-1.00"},
        {"price": "0"},
        {"price": "0.00"},
        {"price": "19.999"},
        {"price": "NaN"},
        {"price": "Infinity"},
        {"price": "abc"},
        {"price": "10000000000.00"},
        {"currency": "usd"},
        {"currency": "XYZ"},
        {"currency": "US"},
        {"stock": -1},
        {"stock": "5"},
        {"stock": 1.5},  # 5.0 is the integer 5, as JSON Schema counts (tests/unit/test_json_integer.py)
        {"stock": True},
        {"name": "x" * 201},
        {"name": ""},
        {"sku": ""},
        {"sku": "-starts-with-dash"},
        {"sku": "has space"},
        {"sku": "S" * 65},
        {"sku": "WID-001\n"},
        {"sku": "WID\x00001"},
        {"name": "Blue\x00widget"},
        {"description": "nul \x00 inside"},
        {"description": "d" * 5001},
        {"colour": "blue"},
        {"id": "00000000-0000-0000-0000-000000000000"},
        {"version": 7},
    ],
)
def test_create_rejects_invalid_payloads_and_stores_nothing(products_container, products_db, overrides):
    with pytest.raises(Invalid):
        create(products_container, **overrides)
    assert count_rows(products_db, "products") == 0
    assert count_rows(products_db, "price_history") == 0


@pytest.mark.parametrize("missing", ["sku", "name", "price", "currency", "stock"])
def test_create_requires_every_mandatory_field(products_container, products_db, missing):
    payload = {k: v for k, v in WIDGET.items() if k != missing}
    with pytest.raises(Invalid) as raised:
        call(products_container, "create_product", payload, as_=ADMIN)
    assert missing in raised.value.errors
    assert count_rows(products_db, "products") == 0


def test_name_of_exactly_200_characters_is_accepted(products_container):
    assert create(products_container, name="n" * 200)["name"] == "n" * 200


def test_sku_with_a_trailing_newline_is_not_a_second_sku(products_container, products_db):
    create(products_container)
    with pytest.raises(Invalid):
        create(products_container, sku=WIDGET["sku"] + "\n")
    assert count_rows(products_db, "products") == 1


def test_second_product_with_the_same_sku_conflicts(products_container, products_db):
    first = create(products_container)
    with pytest.raises(Conflict):
        create(products_container, name="Another widget", price="5.00")
    assert count_rows(products_db, "products") == 1
    assert count_rows(products_db, "price_history") == 1
    assert call(products_container, "get_product", first["id"]) == first


def test_service_keeps_working_after_a_sku_conflict(products_container):
    create(products_container)
    with pytest.raises(Conflict):
        create(products_container)
    other = create(products_container, sku="WID-002")
    assert call(products_container, "get_product", other["id"])["sku"] == "WID-002"


# --- get ----------------------------------------------------------------------------------------


def test_get_of_an_unknown_id_is_not_found(products_container):
    with pytest.raises(NotFound):
        call(products_container, "get_product", "00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize("product_id", [None, 42, 4.2, ["x"], {"id": "x"}, True, "x" * 37, "", "a\x00b"])
def test_get_of_a_malformed_id_is_not_found(products_container, product_id):
    with pytest.raises(NotFound):
        call(products_container, "get_product", product_id)


# --- update -------------------------------------------------------------------------------------


def test_price_changes_appear_in_the_history_newest_first(products_container):
    product = create(products_container, price="10.00")
    call(products_container, "update_product", product["id"], {"price": "12.50"}, as_=ADMIN)
    updated = call(products_container, "update_product", product["id"], {"price": "11.00"}, as_=ADMIN)
    assert updated["price"] == "11.00"
    history = call(products_container, "get_price_history", product["id"])
    assert history["total"] == 3
    assert [change["price"] for change in history["items"]] == ["11.00", "12.50", "10.00"]
    times = [datetime.fromisoformat(change["effective_at"]) for change in history["items"]]
    assert times == sorted(times, reverse=True)
    assert all(t.tzinfo is not None for t in times)


def test_price_history_is_paginated(products_container):
    product = create(products_container, price="1.00")
    for price in ("2.00", "3.00", "4.00"):
        call(products_container, "update_product", product["id"], {"price": price}, as_=ADMIN)
    page = call(products_container, "get_price_history", product["id"], page=2, page_size=3)
    assert page["total"] == 4 and page["page"] == 2 and page["page_size"] == 3
    assert [change["price"] for change in page["items"]] == ["1.00"]
    with pytest.raises(Invalid):
        call(products_container, "get_price_history", product["id"], page_size=101)


def test_currency_change_is_recorded_in_the_price_history(products_container):
    product = create(products_container, price="10.00", currency="USD")
    updated = call(products_container, "update_product", product["id"], {"currency": "EUR"}, as_=ADMIN)
    assert updated["currency"] == "EUR" and updated["price"] == "10.00"
    items = call(products_container, "get_price_history", product["id"])["items"]
    assert [(c["price"], c["currency"]) for c in items] == [("10.00", "EUR"), ("10.00", "USD")]


def test_updating_only_the_name_adds_no_history_entry(products_container, products_db):
    product = create(products_container)
    updated = call(products_container, "update_product", product["id"], {"name": "Red widget"}, as_=ADMIN)
    assert updated["name"] == "Red widget" and updated["price"] == product["price"]
    assert call(products_container, "get_product", product["id"])["name"] == "Red widget"
    assert call(products_container, "get_price_history", product["id"])["total"] == 1
    assert stored_row(products_db, product["id"])["version"] == 2


def test_setting_the_same_price_again_adds_no_history_entry(products_container):
    product = create(products_container, price="10.00")
    call(products_container, "update_product", product["id"], {"price": "10", "currency": "USD"}, as_=ADMIN)
    assert call(products_container, "get_price_history", product["id"])["total"] == 1


@pytest.mark.parametrize(
    "changes",
    [
        {},  # no changes at all
        None,
        {"price": "0"},
        {"price": "1.001"},
        {"currency": "ABC"},
        {"name": "x" * 201},
        {"sku": "bad sku"},
        {"sku": "WID-001\n"},
        {"name": "nul\x00"},
        {"stock": 5},
        {"version": 99},
        {"name": "ok", "unknown": 1},
    ],
)
def test_update_rejects_invalid_changes_and_keeps_the_product(products_container, products_db, changes):
    product = create(products_container)
    before = stored_row(products_db, product["id"])
    with pytest.raises(Invalid):
        call(products_container, "update_product", product["id"], changes, as_=ADMIN)
    assert stored_row(products_db, product["id"]) == before
    assert call(products_container, "get_product", product["id"]) == product
    assert call(products_container, "get_price_history", product["id"])["total"] == 1


def test_customer_cannot_update_a_product(products_container, products_db):
    product = create(products_container)
    before = stored_row(products_db, product["id"])
    with pytest.raises(Forbidden):
        call(products_container, "update_product", product["id"], {"price": "1.00"}, as_=CUSTOMER)
    assert stored_row(products_db, product["id"]) == before


def test_update_of_an_unknown_product_is_not_found(products_container):
    with pytest.raises(NotFound):
        call(products_container, "update_product", "no-such-id", {"name": "x"}, as_=ADMIN)


def test_changing_the_sku_to_a_taken_one_conflicts(products_container, products_db):
    create(products_container)
    other = create(products_container, sku="WID-002", name="Other")
    before = stored_row(products_db, other["id"])
    with pytest.raises(Conflict):
        call(products_container, "update_product", other["id"], {"sku": "WID-001", "price": "1.00"}, as_=ADMIN)
    assert stored_row(products_db, other["id"]) == before
    assert call(products_container, "get_price_history", other["id"])["total"] == 1


# --- stock --------------------------------------------------------------------------------------


def test_set_stock_replaces_the_units_available(products_container, products_db):
    product = create(products_container, stock=10)
    assert call(products_container, "set_stock", product["id"], {"stock": 3}, as_=ADMIN)["stock"] == 3
    assert call(products_container, "get_product", product["id"])["stock"] == 3
    assert call(products_container, "set_stock", product["id"], {"stock": 0}, as_=ADMIN)["stock"] == 0
    assert stored_row(products_db, product["id"])["stock"] == 0


@pytest.mark.parametrize("payload", [{"stock": -1}, {"stock": "5"}, {"stock": 2.5}, {}, {"delta": 1}, None])
def test_set_stock_rejects_bad_values_and_keeps_the_stock(products_container, products_db, payload):
    product = create(products_container, stock=10)
    with pytest.raises(Invalid):
        call(products_container, "set_stock", product["id"], payload, as_=ADMIN)
    assert stored_row(products_db, product["id"])["stock"] == 10
    assert call(products_container, "get_product", product["id"])["stock"] == 10


def test_customer_cannot_set_stock(products_container, products_db):
    product = create(products_container, stock=10)
    with pytest.raises(Forbidden):
        call(products_container, "set_stock", product["id"], {"stock": 0}, as_=CUSTOMER)
    with pytest.raises(Forbidden):
        call(products_container, "adjust_stock", product["id"], {"delta": -1}, as_=CUSTOMER)
    assert stored_row(products_db, product["id"])["stock"] == 10


def test_adjust_stock_adds_and_removes_units(products_container):
    product = create(products_container, stock=10)
    assert call(products_container, "adjust_stock", product["id"], {"delta": 5}, as_=ADMIN)["stock"] == 15
    assert call(products_container, "adjust_stock", product["id"], {"delta": -15}, as_=ADMIN)["stock"] == 0
    assert call(products_container, "get_product", product["id"])["stock"] == 0


def test_adjusting_stock_below_zero_is_invalid_and_keeps_the_stock(products_container, products_db):
    product = create(products_container, stock=2)
    with pytest.raises(Invalid) as raised:
        call(products_container, "adjust_stock", product["id"], {"delta": -3}, as_=ADMIN)
    assert "delta" in raised.value.errors
    assert stored_row(products_db, product["id"])["stock"] == 2
    assert call(products_container, "get_product", product["id"])["stock"] == 2


def test_adjusting_stock_beyond_the_most_a_product_may_have_is_invalid_not_an_overflow(products_container,
                                                                                       products_db):
    # Without the bound, deltas that are each allowed add up past the INTEGER columns (2**31 - 1).
    product = create(products_container, stock=MAX_STOCK)
    with pytest.raises(Invalid) as raised:
        call(products_container, "adjust_stock", product["id"], {"delta": MAX_STOCK}, as_=ADMIN)
    assert "delta" in raised.value.errors
    call(products_container, "adjust_stock", product["id"], {"delta": -MAX_STOCK}, as_=ADMIN)
    for _ in range(2):
        call(products_container, "adjust_stock", product["id"], {"delta": MAX_STOCK // 2}, as_=ADMIN)
    assert stored_row(products_db, product["id"])["stock"] == MAX_STOCK


@pytest.mark.parametrize("payload", [{"delta": "1"}, {"delta": 1.5}, {}, {"stock": 1}])
def test_adjust_stock_rejects_bad_deltas(products_container, products_db, payload):
    product = create(products_container, stock=2)
    with pytest.raises(Invalid):
        call(products_container, "adjust_stock", product["id"], payload, as_=ADMIN)
    assert stored_row(products_db, product["id"])["stock"] == 2


def test_stock_of_an_unknown_product_is_not_found(products_container):
    with pytest.raises(NotFound):
        call(products_container, "set_stock", "no-such-id", {"stock": 1}, as_=ADMIN)
    with pytest.raises(NotFound):
        call(products_container, "adjust_stock", "no-such-id", {"delta": 1}, as_=ADMIN)


def test_stock_changes_add_no_price_history(products_container):
    product = create(products_container, stock=2)
    call(products_container, "set_stock", product["id"], {"stock": 9}, as_=ADMIN)
    call(products_container, "adjust_stock", product["id"], {"delta": 1}, as_=ADMIN)
    assert call(products_container, "get_price_history", product["id"])["total"] == 1


# --- delete -------------------------------------------------------------------------------------


def test_deleted_product_is_not_found_even_after_being_cached(products_container, orders_container, products_db):
    product = create(products_container)
    assert call(products_container, "get_product", product["id"]) == product  # served and cached
    assert call(products_container, "delete_product", product["id"], as_=ADMIN) is None
    with pytest.raises(NotFound):
        call(products_container, "get_product", product["id"])
    with pytest.raises(NotFound):
        call(products_container, "get_price_history", product["id"])
    assert stored_row(products_db, product["id"]) is None
    assert count_rows(products_db, "price_history") == 0


def test_deleting_twice_is_not_found(products_container, orders_container):
    product = create(products_container)
    call(products_container, "delete_product", product["id"], as_=ADMIN)
    with pytest.raises(NotFound):
        call(products_container, "delete_product", product["id"], as_=ADMIN)


def test_customer_cannot_delete_a_product(products_container, products_db):
    product = create(products_container)
    with pytest.raises(Forbidden):
        call(products_container, "delete_product", product["id"], as_=CUSTOMER)
    assert stored_row(products_db, product["id"]) is not None


def test_deleted_product_cannot_be_updated(products_container, orders_container):
    product = create(products_container)
    call(products_container, "delete_product", product["id"], as_=ADMIN)
    with pytest.raises(NotFound):
        call(products_container, "update_product", product["id"], {"price": "1.00"}, as_=ADMIN)
    with pytest.raises(NotFound):
        call(products_container, "adjust_stock", product["id"], {"delta": 1}, as_=ADMIN)


def test_sku_of_a_deleted_product_can_be_reused(products_container, orders_container):
    product = create(products_container)
    call(products_container, "delete_product", product["id"], as_=ADMIN)
    again = create(products_container)
    assert again["id"] != product["id"]
    assert call(products_container, "get_product", again["id"])["sku"] == WIDGET["sku"]



def test_product_with_reserved_units_cannot_be_deleted(products_container, orders_container, products_db):
    product = create(products_container, stock=5)
    items = [{"product_id": product["id"], "quantity": 2}]
    call(products_container, "reserve_stock", "order-1", items, 600, as_=ORDERS_CLIENT)
    before = stored_row(products_db, product["id"])
    with pytest.raises(Conflict):
        call(products_container, "delete_product", product["id"], as_=ADMIN)
    assert stored_row(products_db, product["id"]) == before
    assert call(products_container, "get_product", product["id"])["stock"] == 3


# --- list ---------------------------------------------------------------------------------------


@pytest.fixture
def catalog(products_container):
    """Four products, created oldest first in this order."""
    specs = [
        dict(sku="P-1", name="Blue widget", description="The widget for every drawer.", price="5.00",
             stock=3),
        dict(sku="P-2", name="Steel hammer", description="For nails and widgets.", price="25.00", stock=0),
        dict(sku="P-3", name="Garden hose", description="Twenty metres.", price="40.00", stock=7,
             currency="EUR"),
        dict(sku="P-4", name="Copper wire", description="One roll.", price="12.50", stock=1),
    ]
    return {spec["sku"]: create(products_container, **spec) for spec in specs}


def skus(page: dict) -> list[str]:
    return [product["sku"] for product in page["items"]]


def test_list_returns_a_page_newest_first(products_container, catalog):
    page = call(products_container, "list_products")
    assert set(page) == {"items", "page", "page_size", "total"}
    assert page["page"] == 1 and page["page_size"] == 20 and page["total"] == 4
    assert skus(page) == ["P-4", "P-3", "P-2", "P-1"]
    assert page["items"][0] == catalog["P-4"]


def test_list_pages_through_the_catalog(products_container, catalog):
    first = call(products_container, "list_products", {"page": 1, "page_size": 3})
    second = call(products_container, "list_products", {"page": 2, "page_size": 3})
    beyond = call(products_container, "list_products", {"page": 3, "page_size": 3})
    assert skus(first) == ["P-4", "P-3", "P-2"] and skus(second) == ["P-1"] and skus(beyond) == []
    assert first["total"] == second["total"] == beyond["total"] == 4
    assert second["page"] == 2 and second["page_size"] == 3


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": 101},
        {"page_size": 0},
        {"page": 0},
        {"page": "first"},
        {"min_price": "-1"},
        {"max_price": "abc"},
        {"currency": "usd"},
        {"in_stock": "maybe"},
        {"q": ""},
        {"q": "x" * 201},
        {"q": "wid\x00get"},
        {"sort": "price"},
    ],
)
def test_list_rejects_invalid_queries(products_container, catalog, query):
    with pytest.raises(Invalid):
        call(products_container, "list_products", query)


def test_list_page_size_of_100_is_allowed(products_container, catalog):
    assert call(products_container, "list_products", {"page_size": 100})["total"] == 4


def test_search_stems_words_and_ranks_the_best_match_first(products_container, catalog):
    page = call(products_container, "list_products", {"q": "widgets"})
    assert page["total"] == 2
    assert skus(page) == ["P-1", "P-2"]  # best match first: P-1 says "widget" twice, P-2 once


def test_search_covers_the_description(products_container, catalog):
    assert skus(call(products_container, "list_products", {"q": "metre"})) == ["P-3"]
    assert skus(call(products_container, "list_products", {"q": "nail"})) == ["P-2"]


def test_search_with_no_match_is_an_empty_page(products_container, catalog):
    page = call(products_container, "list_products", {"q": "submarine"})
    assert page["items"] == [] and page["total"] == 0


def test_search_sees_a_renamed_product(products_container, catalog):
    call(products_container, "update_product", catalog["P-4"]["id"], {"name": "Copper gadget"}, as_=ADMIN)
    assert skus(call(products_container, "list_products", {"q": "gadgets"})) == ["P-4"]


def test_list_filters_by_price_range(products_container, catalog):
    # An empty range is no error (the document can't say min <= max): it matches nothing.
    assert call(products_container, "list_products", {"min_price": "10.00", "max_price": "5.00"})["items"] == []
    page = call(products_container, "list_products", {"min_price": "5.00", "max_price": "25.00"})
    assert skus(page) == ["P-4", "P-2", "P-1"] and page["total"] == 3
    assert skus(call(products_container, "list_products", {"min_price": "12.51"})) == ["P-3", "P-2"]
    assert skus(call(products_container, "list_products", {"max_price": "12.50"})) == ["P-4", "P-1"]
    assert skus(call(products_container, "list_products", {"min_price": "12.50", "max_price": "12.50"})) == [
        "P-4"
    ]


def test_list_filters_by_stock(products_container, catalog):
    assert skus(call(products_container, "list_products", {"in_stock": True})) == ["P-4", "P-3", "P-1"]
    assert skus(call(products_container, "list_products", {"in_stock": False})) == ["P-2"]


def test_list_filters_by_currency(products_container, catalog):
    assert skus(call(products_container, "list_products", {"currency": "EUR"})) == ["P-3"]
    assert call(products_container, "list_products", {"currency": "GBP"})["total"] == 0


def test_list_combines_search_and_filters(products_container, catalog):
    page = call(products_container, "list_products", {"q": "widget", "in_stock": True, "max_price": "10"})
    assert skus(page) == ["P-1"] and page["total"] == 1
    paged = call(products_container, "list_products", {"in_stock": True, "page_size": 2, "page": 2})
    assert skus(paged) == ["P-1"] and paged["total"] == 3


def test_list_shows_current_prices_after_an_update(products_container, catalog):
    call(products_container, "update_product", catalog["P-1"]["id"], {"price": "30.00"}, as_=ADMIN)
    assert skus(call(products_container, "list_products", {"min_price": "26"})) == ["P-3", "P-1"]
