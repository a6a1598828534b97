"""Page requests and paged results."""

import pytest
from marshmallow import ValidationError

from wire.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageQuerySchema, PageRequest, paged

schema = PageQuerySchema()


def test_missing_page_and_size_default_to_the_first_page():
    assert schema.load({}) == {"page": 1, "page_size": DEFAULT_PAGE_SIZE}


def test_page_size_up_to_the_maximum_is_accepted():
    assert schema.load({"page": 3, "page_size": MAX_PAGE_SIZE}) == {"page": 3, "page_size": MAX_PAGE_SIZE}


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": MAX_PAGE_SIZE + 1},
        {"page_size": 0},
        {"page_size": -5},
        {"page": 0},
        {"page": -1},
        {"page": 1_000_001},
        {"page": "two"},
        {"page": None},
        {"page_size": True},
        {"per_page": 10},
    ],
)
def test_out_of_range_or_malformed_pages_are_rejected(query):
    with pytest.raises(ValidationError):
        schema.load(query)


@pytest.mark.parametrize(("page", "page_size", "offset"), [(1, 20, 0), (2, 20, 20), (3, 7, 14), (1, 100, 0)])
def test_offset_skips_the_earlier_pages(page, page_size, offset):
    assert PageRequest(page, page_size).offset == offset


def test_default_page_request_is_the_first_page():
    assert PageRequest() == PageRequest(1, DEFAULT_PAGE_SIZE)
    assert PageRequest().offset == 0


def test_paged_result_carries_items_page_size_and_total():
    assert paged(["a", "b"], PageRequest(2, 2), 5) == {"items": ["a", "b"], "page": 2, "page_size": 2, "total": 5}


def test_page_request_is_immutable():
    with pytest.raises(AttributeError):
        PageRequest().page = 2
