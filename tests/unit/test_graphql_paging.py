"""Relay windows over lists paged by number (gateway/graphql/paging.py): any `first`/`after` or
`last`/`before` window is the same items as slicing the list, from at most two pages."""

import pytest

from gateway.graphql.paging import PageRequest
from wire.cursors import encode_cursor
from wire.errors import Invalid

ITEMS = [f"item-{n}" for n in range(7)]


def numbered_pages(fetched: list | None = None):
    """What a service answers for page `number` of `size` items (recording what was asked)."""

    def fetch(number: int, size: int) -> dict:
        if fetched is not None:
            fetched.append((number, size))
        return {"items": ITEMS[(number - 1) * size:number * size], "total": len(ITEMS)}

    return fetch


def cursor(offset: int) -> str:
    return encode_cursor("product", offset)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (PageRequest("product", first=3), ITEMS[0:3]),
        (PageRequest("product", first=3, after=cursor(2)), ITEMS[3:6]),
        (PageRequest("product", first=2, after=cursor(2)), ITEMS[3:5]),  # across two pages of 2
        (PageRequest("product", first=3, after=cursor(5)), ITEMS[6:]),
        (PageRequest("product", last=3), ITEMS[4:]),
        (PageRequest("product", last=3, before=cursor(4)), ITEMS[1:4]),
        (PageRequest("product", last=3, before=cursor(1)), ITEMS[0:1]),
        (PageRequest("product", last=5, after=cursor(1), before=cursor(5)), ITEMS[2:5]),
        (PageRequest("product", first=3, before=cursor(0)), []),
        (PageRequest("product"), ITEMS),  # neither size: the default page (20)
    ],
)
def test_a_window_is_the_slice_of_the_list_it_names(request_, expected):
    fetched = []
    window = request_.offset_slice(numbered_pages(fetched))
    assert window.items == expected and window.total == len(ITEMS)
    assert len([f for f in fetched if f != (1, 1)]) <= 2
    info = window.page_info()
    if expected:
        start = ITEMS.index(expected[0])
        assert window.cursors() == [cursor(start + n) for n in range(len(expected))]
        assert (info.start_cursor, info.end_cursor) == (window.cursors()[0], window.cursors()[-1])
        assert info.has_previous_page == (start > 0)
        assert info.has_next_page == (start + len(expected) < len(ITEMS))


def test_paging_backwards_from_the_end_meets_the_forward_pages_in_reverse():
    forward, after = [], None
    while True:
        window = PageRequest("product", first=3, after=after).offset_slice(numbered_pages())
        forward.append(window.items)
        if not window.page_info().has_next_page:
            break
        after = window.page_info().end_cursor
    backward, before = [], None
    while True:
        window = PageRequest("product", last=3, before=before).offset_slice(numbered_pages())
        backward.append(window.items)
        if not window.page_info().has_previous_page:
            break
        before = window.page_info().start_cursor
    assert sum(backward[::-1], []) == sum(forward, []) == ITEMS


@pytest.mark.parametrize("foreign", [encode_cursor("order", "2026-12-01T10:00:00+00:00", "o-1"),
                                     encode_cursor("notification", 3), encode_cursor("product", -1),
                                     encode_cursor("product", 1.5), "b2Zmc2V0OjE5", "not base64 at all"])
def test_a_cursor_of_another_list_or_no_list_is_refused(foreign):
    with pytest.raises(Invalid) as refused:
        PageRequest("product", first=2, after=foreign).offset_slice(numbered_pages())
    assert "after" in refused.value.errors
