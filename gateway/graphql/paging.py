"""Relay connections over lists the services page by number (products, notifications): the
cursor holds an item's offset, tagged with its list's name, and any window of a list (forwards
from `after`, backwards from `before`) is read from at most two numbered pages."""

from collections.abc import Callable
from dataclasses import dataclass

import strawberry

from gateway.graphql.limits import DEFAULT_PAGE
from wire.cursors import decode_cursor, encode_cursor
from wire.errors import Invalid


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@dataclass(frozen=True)
class Slice:
    request: "PageRequest"
    items: list
    total: int
    start: int  # the offset of items[0]

    def cursors(self) -> list[str]:
        return [encode_cursor(self.request.kind, self.start + n) for n in range(len(self.items))]

    def page_info(self) -> PageInfo:
        cursors = self.cursors()
        return PageInfo(
            has_next_page=self.start + len(self.items) < self.total,
            has_previous_page=self.start > 0,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


@dataclass(frozen=True)
class PageRequest:
    """What a connection field was asked for: `first` after `after`, or `last` before `before`
    (limits.py has refused both sizes at once, and sizes out of range)."""

    kind: str  # the list's name, in its cursors
    first: int | None = None
    last: int | None = None
    after: str | None = None
    before: str | None = None

    def offset_slice(self, fetch: Callable[[int, int], dict]) -> Slice:
        """The window asked for, from `fetch(page, page_size) -> {items, total}`."""
        low = self._offset(self.after, "after") + 1 if self.after else 0
        high = self._offset(self.before, "before") if self.before else None
        if self.last is not None:
            if high is None:
                high = fetch(1, 1)["total"]  # backwards from the end: first learn where it is
            start = max(low, high - self.last)
        else:
            start = low
        size = self.last if self.last is not None else (self.first or DEFAULT_PAGE)
        count = min(size, high - start) if high is not None else size
        if count <= 0:
            return Slice(self, [], fetch(1, 1)["total"], start)
        # Pages of `count` items: the window starts inside one and may end in the next.
        page = start // count + 1
        first_page = fetch(page, count)
        items = first_page["items"]
        if start % count:
            items = items + fetch(page + 1, count)["items"]
        skip = start % count
        return Slice(self, items[skip:skip + count], first_page["total"], start)

    def _offset(self, cursor: str, argument: str) -> int:
        position = decode_cursor(self.kind, cursor, argument)
        if len(position) != 1 or not isinstance(position[0], int) or position[0] < 0:
            raise Invalid(f"Not a cursor of this list ({self.kind}).", {argument: ["Invalid cursor."]})
        return position[0]
